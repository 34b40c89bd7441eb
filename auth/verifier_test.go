package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/warden-authz/warden"
)

func TestVerifyAccepts(t *testing.T) {
	ed := newSigningKey(t, jwa.EdDSA, "ed-1")
	es := newSigningKey(t, jwa.ES256, "es-1")
	es512 := newSigningKey(t, jwa.ES512, "es512-1")
	rs := newSigningKey(t, jwa.RS256, "rs-1")
	ps := newSigningKey(t, jwa.PS256, "ps-1")
	bare := newSigningKey(t, jwa.EdDSA, "bare-1").withoutAlg(t)
	bareEC := newSigningKey(t, jwa.ES256, "bare-ec").withoutAlg(t)
	bareRSA := newSigningKey(t, jwa.RS256, "bare-rsa").withoutAlg(t)
	srv := newJWKSServer(t, ed, es, es512, rs, ps, bare, bareEC, bareRSA)
	f := newFixture(t, srv.URL, nil)
	now := f.clock.Now()

	tests := []struct {
		name string
		give tokenSpec
	}{
		{"EdDSA", tokenSpec{key: ed}},
		{"ES256", tokenSpec{key: es}},
		{"ES512", tokenSpec{key: es512}},
		{"RS256", tokenSpec{key: rs}},
		{"PS256", tokenSpec{key: ps}},
		{"JWKS entry without alg", tokenSpec{key: bare}},
		{"EC JWKS entry without alg", tokenSpec{key: bareEC}},
		{"RSA JWKS entry without alg, RS256", tokenSpec{key: bareRSA}},
		{"RSA JWKS entry without alg, PS256", tokenSpec{key: bareRSA, alg: jwa.PS256}},
		{"typ header", tokenSpec{key: ed, header: map[string]any{"typ": "JWT"}}},
		{"aud array containing audience", tokenSpec{key: ed, claims: map[string]any{"aud": []string{"other", testAudience}}}},
		{"expired within leeway", tokenSpec{key: ed, claims: map[string]any{"exp": now.Add(-20 * time.Second).Unix()}}},
		{"nbf within leeway", tokenSpec{key: ed, claims: map[string]any{"nbf": now.Add(20 * time.Second).Unix()}}},
		{"iat within leeway", tokenSpec{key: ed, claims: map[string]any{"iat": now.Add(20 * time.Second).Unix()}}},
		{"no iat", tokenSpec{key: ed, claims: map[string]any{"iat": nil}}},
		{"Better Auth user row", tokenSpec{key: ed, claims: map[string]any{
			"id": "user-1", "emailVerified": true, "image": nil, "createdAt": "2026-01-01T00:00:00.000Z", "banned": false,
		}}},
		{"large but under the limit", tokenSpec{key: ed, claims: map[string]any{"pad": strings.Repeat("x", 11000)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := makeToken(t, now, tt.give)
			s, err := f.verifyOutcome(t, tok, "", OutcomeOK)
			if err != nil {
				return
			}
			if s.ID != "user-1" || s.Email != "ada@example.test" || s.Name != "Ada" {
				t.Errorf("got subject %+v", s)
			}
		})
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetches: got %d, want 1 (keys are cached)", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	ed := newSigningKey(t, jwa.EdDSA, "ed-1")
	es := newSigningKey(t, jwa.ES256, "es-1")
	rs := newSigningKey(t, jwa.RS256, "rs-1").withoutAlg(t)
	rsDeclared := newSigningKey(t, jwa.RS256, "rs-2")
	es384 := newSigningKey(t, jwa.ES384, "es384-1")
	impostor := newSigningKey(t, jwa.EdDSA, "ed-1") // same kid, different key
	srv := newJWKSServer(t, ed, es, rs, rsDeclared, es384)
	f := newFixture(t, srv.URL, nil)
	now := f.clock.Now()
	edPub := []byte(ed.pub.(interface{ X() []byte }).X())
	if len(edPub) != ed25519.PublicKeySize {
		t.Fatalf("public key bytes: got %d, want %d", len(edPub), ed25519.PublicKeySize)
	}

	valid := makeToken(t, now, tokenSpec{key: ed})
	head, payload, sig := splitToken(t, valid)
	otherPayload := b64(t, map[string]any{"sub": "admin", "iss": testIssuerURL, "aud": testAudience, "exp": now.Add(time.Hour).Unix()})
	unauth := warden.EUNAUTHENTICATED

	tests := []struct {
		name        string
		give        string
		wantOutcome string
		wantMessage string
	}{
		// Time.
		{"expired beyond leeway", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"exp": now.Add(-31 * time.Second).Unix()}}), OutcomeExpired, "token expired"},
		{"exp zero", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"exp": 0}}), OutcomeExpired, "token expired"},
		{"nbf in the future", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"nbf": now.Add(time.Minute).Unix()}}), OutcomeNotYetValid, "token not yet valid"},
		{"iat in the future", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"iat": now.Add(time.Minute).Unix()}}), OutcomeNotYetValid, "token issued in the future"},
		{"missing exp", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"exp": nil}}), OutcomeBadClaims, "token has no expiry"},
		{"exp null", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"exp": json.RawMessage("null")}}), OutcomeBadClaims, "invalid token claims"},
		{"iss null", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"iss": json.RawMessage("null")}}), OutcomeBadIssuer, "token issuer mismatch"},
		{"aud null", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"aud": json.RawMessage("null")}}), OutcomeBadClaims, "invalid token claims"},
		{"nbf of the wrong type", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"nbf": "soon"}}), OutcomeBadClaims, "invalid token claims"},
		{"exp of the wrong type", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"exp": "tomorrow"}}), OutcomeBadClaims, "invalid token claims"},

		// Issuer and audience.
		{"wrong iss", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"iss": "https://evil.example.test"}}), OutcomeBadIssuer, "token issuer mismatch"},
		{"iss with trailing slash", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"iss": testIssuerURL + "/"}}), OutcomeBadIssuer, "token issuer mismatch"},
		{"missing iss", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"iss": nil}}), OutcomeBadIssuer, "token issuer mismatch"},
		{"missing aud", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"aud": nil}}), OutcomeBadAudience, "token audience mismatch"},
		{"other aud", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"aud": "https://other.example.test"}}), OutcomeBadAudience, "token audience mismatch"},
		{"aud array without audience", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"aud": []string{"a", "b"}}}), OutcomeBadAudience, "token audience mismatch"},

		// Algorithms.
		{"alg none", makeToken(t, now, tokenSpec{key: ed, alg: jwa.NoSignature}), OutcomeBadAlgorithm, "token algorithm not allowed"},
		{"HS256 keyed with the public key", makeToken(t, now, tokenSpec{key: ed, alg: jwa.HS256, hmac: edPub}), OutcomeBadAlgorithm, "token algorithm not allowed"},
		{"alg outside the allowlist", makeToken(t, now, tokenSpec{key: es384}), OutcomeBadAlgorithm, "token algorithm not allowed"},
		{"RS512 on an alg-less RSA key", makeToken(t, now, tokenSpec{key: rs, alg: jwa.RS512}), OutcomeBadAlgorithm, "token algorithm not allowed"},
		{"alg that does not fit the key", makeToken(t, now, tokenSpec{key: es, header: map[string]any{"kid": ed.kid}}), OutcomeBadAlgorithm, "token algorithm does not match its key"},
		{"PS256 on a key declared RS256", makeToken(t, now, tokenSpec{key: rsDeclared, alg: jwa.PS256}), OutcomeBadAlgorithm, "token algorithm does not match its key"},

		// Headers that would choose the key or change the rules.
		{"crit header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"crit": []string{"exp"}, "exp": 1}}), OutcomeForbiddenHeader, `token header "crit" not allowed`},
		{"empty crit header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"crit": []string{}}}), OutcomeForbiddenHeader, `token header "crit" not allowed`},
		{"jku header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"jku": srv.URL}}), OutcomeForbiddenHeader, `token header "jku" not allowed`},
		{"embedded jwk", makeToken(t, now, tokenSpec{key: impostor, header: map[string]any{"jwk": impostor.pub}}), OutcomeForbiddenHeader, `token header "jwk" not allowed`},
		{"x5u header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"x5u": "https://evil.example.test/cert.pem"}}), OutcomeForbiddenHeader, `token header "x5u" not allowed`},
		{"x5c header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"x5c": []string{"MIIB"}}}), OutcomeForbiddenHeader, `token header "x5c" not allowed`},
		{"b64 header", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"b64": false}}), OutcomeForbiddenHeader, `token header "b64" not allowed`},

		// Signatures and keys.
		{"signed by another key under a known kid", makeToken(t, now, tokenSpec{key: impostor}), OutcomeBadSignature, "invalid token signature"},
		{"payload swapped", head + "." + otherPayload + "." + sig, OutcomeBadSignature, "invalid token signature"},
		{"signature stripped", head + "." + payload + ".", OutcomeBadSignature, "invalid token signature"},
		{"unknown kid", makeToken(t, now, tokenSpec{key: newSigningKey(t, jwa.EdDSA, "nobody")}), OutcomeUnknownKey, "unknown token signing key"},
		{"no kid", makeToken(t, now, tokenSpec{key: ed, header: map[string]any{"kid": nil}}), OutcomeUnknownKey, "token has no key id"},

		// Shape.
		{"empty", "", OutcomeMalformed, "missing token"},
		{"one segment", "abc", OutcomeMalformed, "malformed token"},
		{"two segments", head + "." + payload, OutcomeMalformed, "malformed token"},
		{"four segments", valid + ".x", OutcomeMalformed, "malformed token"},
		{"header not base64url", "!!!." + payload + "." + sig, OutcomeMalformed, "malformed token"},
		{"header not JSON", b64raw("nope") + "." + payload + "." + sig, OutcomeMalformed, "malformed token"},
		{"header JSON null", b64raw("null") + "." + payload + "." + sig, OutcomeMalformed, "malformed token"},
		{"payload not base64url", head + ".!!!." + sig, OutcomeMalformed, "malformed token"},
		{"JSON serialization", `{"payload":"` + payload + `","protected":"` + head + `","signature":"` + sig + `"}`, OutcomeMalformed, "malformed token"},
		{"oversize", head + "." + strings.Repeat("A", MaxTokenSize) + "." + sig, OutcomeMalformed, "token too large"},

		// Claims.
		{"missing sub", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"sub": nil}}), OutcomeBadClaims, "token has no subject"},
		{"empty sub", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"sub": " "}}), OutcomeBadClaims, "token has no subject"},
		{"numeric sub", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"sub": 42}}), OutcomeBadClaims, "invalid token claims"},
		{"numeric aud", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"aud": 7}}), OutcomeBadClaims, "invalid token claims"},
		{"payload not an object", signRaw(t, ed, `["sub"]`), OutcomeBadClaims, "invalid token claims"},
		{"email not a string", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"email": 1}}), OutcomeBadClaims, `invalid token claim "email"`},
		{"name an array", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"name": []string{"Ada"}}}), OutcomeBadClaims, `invalid token claim "name"`},
		{"tenant a number", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"org_id": 12}}), OutcomeBadClaims, `invalid token claim "org_id"`},
		{"tenant of another user", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"org_id": "user:user-2"}}), OutcomeBadClaims, `invalid token claim "org_id"`},
		{"tenant role a number", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"org_id": "org-1", "org_role": 3}}), OutcomeBadClaims, `invalid token claim "org_role"`},
		{"tenant role array with a number", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"org_id": "org-1", "org_role": []any{"admin", 3}}}), OutcomeBadClaims, `invalid token claim "org_role"`},
		{"role an object", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"role": map[string]any{"admin": true}}}), OutcomeBadClaims, `invalid token claim "role"`},
		{"role a bool", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"role": true}}), OutcomeBadClaims, `invalid token claim "role"`},
		{"permissions a string", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": "tasks:create"}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"permissions array with a number", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": []any{"tasks:create", 1}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"permission without action", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": []string{"tasks"}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"permission with two colons", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": []string{"tasks:create:all"}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"statement map with a string", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": map[string]any{"tasks": "create"}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"statement map with a number", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": map[string]any{"tasks": []any{"create", 2}}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
		{"statement map with a bad resource", makeToken(t, now, tokenSpec{key: ed, claims: map[string]any{"permissions": map[string]any{"tasks:x": []string{"create"}}}}), OutcomeBadClaims, `invalid token claim "permissions"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.verifyOutcome(t, tt.give, unauth, tt.wantOutcome)
			if got := warden.ErrorMessage(err); got != tt.wantMessage {
				t.Errorf("message: got %q, want %q", got, tt.wantMessage)
			}
		})
	}
}

func TestVerifySubject(t *testing.T) {
	ed := newSigningKey(t, jwa.EdDSA, "ed-1")
	srv := newJWKSServer(t, ed)
	f := newFixture(t, srv.URL, nil)
	personal := func(roles, perms []string) *warden.Subject {
		return &warden.Subject{
			ID: "user-1", Email: "ada@example.test", Name: "Ada",
			Tenant: "user:user-1", TenantRoles: []string{"owner"}, Roles: roles, Permissions: perms, Personal: true,
		}
	}
	inOrg := func(tenantRoles, roles, perms []string) *warden.Subject {
		return &warden.Subject{
			ID: "user-1", Email: "ada@example.test", Name: "Ada",
			Tenant: "org-1", TenantRoles: tenantRoles, Roles: roles, Permissions: perms,
		}
	}
	none := []string{}

	tests := []struct {
		name   string
		claims map[string]any
		want   *warden.Subject
	}{
		{"no tenant claim: personal tenant", nil, personal(none, none)},
		{"null tenant claim", map[string]any{"org_id": json.RawMessage("null")}, personal(none, none)},
		{"empty tenant claim", map[string]any{"org_id": ""}, personal(none, none)},
		{"own personal tenant named", map[string]any{"org_id": "user:user-1", "org_role": "member"}, personal(none, none)},
		{"tenant role ignored without a tenant", map[string]any{"org_role": "member"}, personal(none, none)},
		{"comma-separated tenant roles", map[string]any{"org_id": "org-1", "org_role": "admin, member,,admin"}, inOrg([]string{"admin", "member"}, none, none)},
		{"tenant roles as an array", map[string]any{"org_id": "org-1", "org_role": []string{"admin", "member,moderator"}}, inOrg([]string{"admin", "member", "moderator"}, none, none)},
		{"tenant without a role", map[string]any{"org_id": "org-1"}, inOrg(none, none, none)},
		{"tenant with null role", map[string]any{"org_id": "org-1", "org_role": json.RawMessage("null")}, inOrg(none, none, none)},
		{"global roles", map[string]any{"org_id": "org-1", "org_role": "member", "role": "admin,user"}, inOrg([]string{"member"}, []string{"admin", "user"}, none)},
		{"permissions as an array", map[string]any{"permissions": []string{"tasks:delete", "tasks:bulk", " tasks:delete"}}, personal(none, []string{"tasks:bulk", "tasks:delete"})},
		{"permissions as a statement map", map[string]any{"permissions": map[string][]string{"tasks": {"delete", "create"}, "posts": {"moderate"}, "reports": {}}}, personal(none, []string{"posts:moderate", "tasks:create", "tasks:delete"})},
		{"null email, absent name", map[string]any{"email": json.RawMessage("null"), "name": nil}, &warden.Subject{
			ID: "user-1", Tenant: "user:user-1", TenantRoles: []string{"owner"}, Roles: none, Permissions: none, Personal: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := makeToken(t, f.clock.Now(), tokenSpec{key: ed, claims: tt.claims})
			got, err := f.verifyOutcome(t, tok, "", OutcomeOK)
			if err != nil {
				return
			}
			if diff := cmpSubject(got, tt.want); diff != "" {
				t.Errorf("subject mismatch (-got +want):\n%s", diff)
			}
		})
	}

	t.Run("custom claim names", func(t *testing.T) {
		f := newFixture(t, srv.URL, func(c *Config) {
			c.ClaimTenant, c.ClaimTenantRole, c.ClaimRole, c.ClaimPermissions = "tenant", "tenant_role", "roles", "perms"
		})
		tok := makeToken(t, f.clock.Now(), tokenSpec{key: ed, claims: map[string]any{
			"tenant": "org-1", "tenant_role": "owner", "roles": []string{"admin"}, "perms": []string{"tasks:bulk"},
			"org_id": "ignored", "org_role": 5,
		}})
		got, err := f.verifyOutcome(t, tok, "", OutcomeOK)
		if err != nil {
			return
		}
		want := inOrg([]string{"owner"}, []string{"admin"}, []string{"tasks:bulk"})
		if diff := cmpSubject(got, want); diff != "" {
			t.Errorf("subject mismatch (-got +want):\n%s", diff)
		}
	})

	t.Run("JSON shows empty lists", func(t *testing.T) {
		tok := makeToken(t, f.clock.Now(), tokenSpec{key: ed, claims: map[string]any{"org_id": "org-1"}})
		s, err := f.v.Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{`"tenant_roles":[]`, `"roles":[]`, `"permissions":[]`} {
			if !strings.Contains(string(b), field) {
				t.Errorf("got %s, want it to contain %s", b, field)
			}
		}
	})
}

func TestVerifyReportsOneOutcomePerCall(t *testing.T) {
	ed := newSigningKey(t, jwa.EdDSA, "ed-1")
	srv := newJWKSServer(t, ed)
	f := newFixture(t, srv.URL, nil)
	good := makeToken(t, f.clock.Now(), tokenSpec{key: ed})
	for _, tok := range []string{good, "", good + "x", good} {
		_, _ = f.v.Verify(context.Background(), tok)
	}
	f.out.mu.Lock()
	defer f.out.mu.Unlock()
	want := []string{OutcomeOK, OutcomeMalformed, OutcomeBadSignature, OutcomeOK}
	if strings.Join(f.out.verify, ",") != strings.Join(want, ",") {
		t.Errorf("outcomes: got %v, want %v", f.out.verify, want)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	valid := func() Config {
		// Nothing listens on port 1: start-up with an unreachable issuer is allowed.
		return Config{JWKSURL: "http://127.0.0.1:1/jwks", Issuer: testIssuerURL, Audience: testAudience, RefreshCooldown: time.Hour}
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"valid with the JWKS down", func(*Config) {}, ""},
		{"explicit allowlist", func(c *Config) { c.Algorithms = []string{"EdDSA", " ES384"} }, ""},
		{"missing JWKS URL", func(c *Config) { c.JWKSURL = "" }, "JWKS URL is required"},
		{"relative JWKS URL", func(c *Config) { c.JWKSURL = "/api/auth/jwks" }, "absolute http(s) URL"},
		{"ftp JWKS URL", func(c *Config) { c.JWKSURL = "ftp://auth.example.test/jwks" }, "absolute http(s) URL"},
		{"missing issuer", func(c *Config) { c.Issuer = "" }, "issuer is required"},
		{"missing audience", func(c *Config) { c.Audience = "" }, "audience is required"},
		{"negative leeway", func(c *Config) { c.Leeway = -time.Second }, "must not be negative"},
		{"alg none", func(c *Config) { c.Algorithms = []string{"EdDSA", "none"} }, `algorithm "none" is not allowed`},
		{"HMAC", func(c *Config) { c.Algorithms = []string{"HS256"} }, `algorithm "HS256" is not allowed`},
		{"unknown algorithm", func(c *Config) { c.Algorithms = []string{"ES256K"} }, `algorithm "ES256K" is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.edit(&cfg)
			v, err := NewVerifier(t.Context(), cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if err := v.Ready(t.Context()); warden.ErrorCode(err) != warden.EUNAVAILABLE {
					t.Errorf("Ready: got %v, want an %s error", err, warden.EUNAVAILABLE)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func splitToken(t *testing.T, tok string) (head, payload, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

func b64raw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signRaw signs an arbitrary payload under a valid header.
func signRaw(t *testing.T, k signingKey, payload string) string {
	t.Helper()
	input := b64(t, map[string]any{"alg": k.alg, "kid": k.kid}) + "." + b64raw(payload)
	sig := ed25519.Sign(k.priv.(ed25519.PrivateKey), []byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func BenchmarkVerifyEdDSA(b *testing.B) {
	ed := newSigningKey(b, jwa.EdDSA, "ed-1")
	srv := newJWKSServer(b, ed)
	v, err := NewVerifier(b.Context(), Config{JWKSURL: srv.URL, Issuer: testIssuerURL, Audience: testAudience, Leeway: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	tok := makeToken(b, time.Now(), tokenSpec{key: ed, claims: map[string]any{
		"org_id": "org-1", "org_role": "admin,member", "role": "user",
		"permissions":   map[string][]string{"tasks": {"create", "bulk"}},
		"emailVerified": true, "image": nil, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
	}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
