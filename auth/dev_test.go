package auth

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/warden-authz/warden"
)

func TestDevIssuerRoundTrip(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "state", "dev", "jwt-key.json")
	d, err := LoadOrCreateDevIssuer(keyPath, testIssuerURL, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	if d.Issuer() != testIssuerURL || d.Audience() != testAudience {
		t.Errorf("got issuer %q audience %q", d.Issuer(), d.Audience())
	}
	srv := httptest.NewServer(d.JWKSHandler())
	t.Cleanup(srv.Close)
	v, err := NewVerifier(t.Context(), Config{JWKSURL: srv.URL, Issuer: d.Issuer(), Audience: d.Audience(), Leeway: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(t.Context()); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	tok, err := d.Mint(map[string]any{
		"sub": "alice", "email": "alice@example.test", "name": "Alice",
		"org_id": "acme", "org_role": "admin,member", "permissions": map[string][]string{"tasks": {"bulk"}},
	}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := &warden.Subject{
		ID: "alice", Email: "alice@example.test", Name: "Alice", Tenant: "acme",
		TenantRoles: []string{"admin", "member"}, Roles: []string{}, Permissions: []string{"tasks:bulk"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("subject mismatch (-got +want):\n%s", diff)
	}

	// The header is exactly Better Auth's {alg, kid}: no typ.
	var header map[string]any
	decodeSegment(t, tok, 0, &header)
	if diff := cmp.Diff(header, map[string]any{"alg": "EdDSA", "kid": d.KeyID()}); diff != "" {
		t.Errorf("header mismatch (-got +want):\n%s", diff)
	}
	var claims map[string]any
	decodeSegment(t, tok, 1, &claims)
	if claims["iss"] != testIssuerURL || claims["aud"] != testAudience {
		t.Errorf("got iss %v aud %v", claims["iss"], claims["aud"])
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 900 {
		t.Errorf("exp-iat: got %v, want 900", exp-iat)
	}

	// Expired tokens minted with explicit times fail like any other.
	old := time.Now().Add(-time.Hour)
	expired, err := d.Mint(map[string]any{"sub": "alice", "iat": old.Unix(), "exp": old.Add(time.Minute).Unix()}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), expired); warden.ErrorMessage(err) != "token expired" {
		t.Errorf("expired token: got %v", err)
	}
}

func TestDevIssuerKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	keyPath := filepath.Join(dir, "key.json")
	d1, err := LoadOrCreateDevIssuer(keyPath, testIssuerURL, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode: got %o, want 600", got)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("key directory mode: got %o, want 700", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key", len(entries))
	}

	// Reloading keeps the key and kid, so earlier tokens still verify.
	d2, err := LoadOrCreateDevIssuer(keyPath, "https://other.example.test", testAudience)
	if err != nil {
		t.Fatal(err)
	}
	if d1.KeyID() != d2.KeyID() {
		t.Errorf("kid changed across loads: %q then %q", d1.KeyID(), d2.KeyID())
	}
	if d2.Issuer() != "https://other.example.test" {
		t.Errorf("issuer: got %q", d2.Issuer())
	}

	// The kid is the RFC 7638 thumbprint of the public key.
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := jwk.ParseKey(b)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := stored.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(tp); d1.KeyID() != want {
		t.Errorf("kid: got %q, want thumbprint %q", d1.KeyID(), want)
	}
}

func TestDevIssuerConcurrentCreate(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "key.json")
	kids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range kids {
		wg.Go(func() {
			d, err := LoadOrCreateDevIssuer(keyPath, testIssuerURL, testAudience)
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = d.KeyID()
		})
	}
	wg.Wait()
	for _, kid := range kids {
		if kid != kids[0] {
			t.Fatalf("concurrent creators disagree on the key: %v", kids)
		}
	}
}

func TestDevIssuerRejectsBadKeyFiles(t *testing.T) {
	rsaKey := weakRSAKey(t, "rsa")
	rsaJSON, err := json.Marshal(rsaKey.pub)
	if err != nil {
		t.Fatal(err)
	}
	pubOnly, err := json.Marshal(newSigningKey(t, jwa.EdDSA, "pub").pub)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give []byte
		want string
	}{
		{"not JSON", []byte("hello"), "is not a JWK"},
		{"RSA key", rsaJSON, "does not hold an Ed25519 private key"},
		{"public key only", pubOnly, "does not hold an Ed25519 private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyPath := filepath.Join(t.TempDir(), "key.json")
			if err := os.WriteFile(keyPath, tt.give, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateDevIssuer(keyPath, testIssuerURL, testAudience)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if b, _ := os.ReadFile(keyPath); string(b) != string(tt.give) {
				t.Error("the bad key file was overwritten")
			}
		})
	}
	if _, err := LoadOrCreateDevIssuer("", testIssuerURL, testAudience); err == nil {
		t.Error("empty key path: got no error")
	}
}

func TestDevIssuerJWKSHandler(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(filepath.Join(t.TempDir(), "key.json"), testIssuerURL, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.JWKSHandler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q", got)
	}
	var body struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(body.Keys))
	}
	key := body.Keys[0]
	if key["kty"] != "OKP" || key["crv"] != "Ed25519" || key["alg"] != "EdDSA" || key["kid"] != d.KeyID() || key["x"] == nil {
		t.Errorf("got key %v", key)
	}
	if _, ok := key["d"]; ok {
		t.Error("the JWKS publishes the private key")
	}

	post, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, post.Body)
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: got status %d, want 405", post.StatusCode)
	}
}

func TestDevIssuerMintErrors(t *testing.T) {
	d, err := LoadOrCreateDevIssuer(filepath.Join(t.TempDir(), "key.json"), testIssuerURL, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		claims map[string]any
		ttl    time.Duration
	}{
		{"no sub", map[string]any{"email": "a@example.test"}, time.Minute},
		{"empty sub", map[string]any{"sub": ""}, time.Minute},
		{"numeric sub", map[string]any{"sub": 1}, time.Minute},
		{"no ttl and no exp", map[string]any{"sub": "a"}, 0},
		{"unencodable claim", map[string]any{"sub": "a", "bad": func() {}}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := d.Mint(tt.claims, tt.ttl); err == nil {
				t.Errorf("got token %q, want an error", tok)
			}
		})
	}
	claims := map[string]any{"sub": "a"}
	if _, err := d.Mint(claims, time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 {
		t.Errorf("Mint changed the caller's claims: %v", claims)
	}
}

func decodeSegment(t *testing.T, tok string, i int, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
