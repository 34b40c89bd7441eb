package api_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keyedEnv is an env whose signing key the test holds, so it can forge tokens
// with any header, payload or signature a hostile client could send.
type keyedEnv struct {
	*env
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	kid  string
}

// newKeyedEnv builds the same server as newEnv and reads the issuer's key.
func newKeyedEnv(t *testing.T) *keyedEnv {
	t.Helper()
	e := newEnv(t, envOptions{refreshCooldown: time.Hour})
	keyPath, issuer := e.keyPath, e.issuer
	raw, err := jwk.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := raw.Key(0)
	if !ok {
		t.Fatal("key file holds no key")
	}
	var priv ed25519.PrivateKey
	if err := key.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	return &keyedEnv{
		env:  e,
		priv: priv, pub: priv.Public().(ed25519.PublicKey), kid: issuer.KeyID(),
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge signs header and payload (raw JSON, duplicates and all) with the issuer's key.
func (k *keyedEnv) forge(header, payload string) string {
	in := b64(header) + "." + b64(payload)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.priv, []byte(in)))
}

// claims is a valid payload for sub with extra members appended verbatim.
func (k *keyedEnv) claims(extra string) string {
	now := time.Now().Unix()
	p := fmt.Sprintf(`{"iss":%q,"aud":%q,"iat":%d,"exp":%d`, testIssuer, testAudience, now, now+3600)
	if extra != "" {
		p += "," + extra
	}
	return p + "}"
}

func (k *keyedEnv) header(extra string) string {
	h := fmt.Sprintf(`{"alg":"EdDSA","kid":%q`, k.kid)
	if extra != "" {
		h += "," + extra
	}
	return h + "}"
}

// internals are fragments that must never reach a client.
var internals = []string{"pq:", "SQLSTATE", "sql:", "SELECT ", "INSERT ", "goroutine ", "panic", ".go:", "runtime error"}

func assertNoInternals(t *testing.T, r response) {
	t.Helper()
	for _, s := range internals {
		if strings.Contains(string(r.body), s) {
			t.Errorf("body leaks %q: %s", s, r.body)
		}
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Errorf("response has no X-Request-Id")
	}
}

// TestAdversarialTokensRejected: every forged, malformed or out-of-policy token is
// a 401 with the RFC 6750 challenge, on required and optional-auth routes alike.
func TestAdversarialTokensRejected(t *testing.T) {
	k := newKeyedEnv(t)
	now := time.Now().Unix()
	valid := k.forge(k.header(""), k.claims(`"sub":"alice","org_id":"acme","org_role":"member"`))
	parts := strings.Split(valid, ".")
	jwkPub, err := json.Marshal(map[string]string{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(k.pub)})
	if err != nil {
		t.Fatal(err)
	}
	hs := func(secret []byte) string {
		in := b64(`{"alg":"HS256","kid":"`+k.kid+`"}`) + "." + parts[1]
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	tampered := parts[0] + "." + b64(k.claims(`"sub":"root","role":"admin"`)) + "." + parts[2]

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", b64(`{"alg":"none","kid":"`+k.kid+`"}`) + "." + parts[1] + "."},
		{"alg None", b64(`{"alg":"None","kid":"`+k.kid+`"}`) + "." + parts[1] + "."},
		{"alg none with signature", b64(`{"alg":"none","kid":"`+k.kid+`"}`) + "." + parts[1] + "." + parts[2]},
		{"HS256 keyed with raw public key", hs(k.pub)},
		{"HS256 keyed with public JWK", hs(jwkPub)},
		{"ES256 header on Ed25519 signature", k.forge(`{"alg":"ES256","kid":"`+k.kid+`"}`, k.claims(`"sub":"alice"`))},
		{"RS256 header on Ed25519 signature", k.forge(`{"alg":"RS256","kid":"`+k.kid+`"}`, k.claims(`"sub":"alice"`))},
		{"unknown kid", k.forge(`{"alg":"EdDSA","kid":"someone-else"}`, k.claims(`"sub":"alice"`))},
		{"no kid", k.forge(`{"alg":"EdDSA"}`, k.claims(`"sub":"alice"`))},
		{"kid path traversal", k.forge(`{"alg":"EdDSA","kid":"../../etc/passwd"}`, k.claims(`"sub":"alice"`))},
		{"jku header", k.forge(k.header(`"jku":"http://127.0.0.1:1/jwks"`), k.claims(`"sub":"alice"`))},
		{"jku null", k.forge(k.header(`"jku":null`), k.claims(`"sub":"alice"`))},
		{"x5u header", k.forge(k.header(`"x5u":"http://127.0.0.1:1/cert"`), k.claims(`"sub":"alice"`))},
		{"x5c header", k.forge(k.header(`"x5c":["MIIB"]`), k.claims(`"sub":"alice"`))},
		{"embedded jwk of the right key", k.forge(k.header(`"jwk":`+string(jwkPub)), k.claims(`"sub":"alice"`))},
		{"crit exp", k.forge(k.header(`"crit":["exp"],"exp":1`), k.claims(`"sub":"alice"`))},
		{"b64 false", k.forge(k.header(`"b64":false,"crit":["b64"]`), k.claims(`"sub":"alice"`))},
		{"duplicate alg, last none", b64(`{"alg":"EdDSA","kid":"`+k.kid+`","alg":"none"}`) + "." + parts[1] + "."},
		{"signature of another payload", tampered},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"four segments", valid + ".x"},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`},
		{"non-base64 header", "!!!." + parts[1] + "." + parts[2]},
		{"expired beyond leeway", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"alice"}`, testIssuer, testAudience, now-120))},
		{"exp zero", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":0,"sub":"alice"}`, testIssuer, testAudience))},
		{"exp missing", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"alice"}`, testIssuer, testAudience))},
		{"exp as string, expired", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":"%d","sub":"alice"}`, testIssuer, testAudience, now-3600))},
		{"exp as garbage string", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":"tomorrow","sub":"alice"}`, testIssuer, testAudience))},
		{"exp 1e309", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":1e309,"sub":"alice"}`, testIssuer, testAudience))},
		{"exp negative", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":-1,"sub":"alice"}`, testIssuer, testAudience))},
		{"duplicate exp, last expired", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"exp":%d,"sub":"alice"}`, testIssuer, testAudience, now+3600, now-3600))},
		{"nbf in the future", k.forge(k.header(""), k.claims(fmt.Sprintf(`"sub":"alice","nbf":%d`, now+600)))},
		{"iat in the future", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"iat":%d,"exp":%d,"sub":"alice"}`, testIssuer, testAudience, now+600, now+3600))},
		{"sub missing", k.forge(k.header(""), k.claims(""))},
		{"sub blank", k.forge(k.header(""), k.claims(`"sub":"   "`))},
		{"sub number", k.forge(k.header(""), k.claims(`"sub":42`))},
		{"sub array", k.forge(k.header(""), k.claims(`"sub":["alice"]`))},
		{"aud array without ours", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":["other","warden"],"exp":%d,"sub":"alice"}`, testIssuer, now+3600))},
		{"aud missing", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"exp":%d,"sub":"alice"}`, testIssuer, now+3600))},
		{"aud prefix of ours", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":"warden","exp":%d,"sub":"alice"}`, testIssuer, now+3600))},
		{"iss trailing slash", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"alice"}`, testIssuer+"/", testAudience, now+3600))},
		{"iss other case", k.forge(k.header(""), fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"alice"}`, strings.ToUpper(testIssuer), testAudience, now+3600))},
		{"iss missing", k.forge(k.header(""), fmt.Sprintf(`{"aud":%q,"exp":%d,"sub":"alice"}`, testAudience, now+3600))},
		{"token over 16 KiB", k.forge(k.header(""), k.claims(`"sub":"alice","pad":"`+strings.Repeat("a", 17<<10)+`"`))},
		{"org_id of another's personal tenant", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":"user:bob","org_role":"owner"`))},
		{"duplicate org_id, last personal of another", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":"acme","org_id":"user:bob"`))},
		{"org_id number", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":7,"org_role":"admin"`))},
		{"org_role number", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":"acme","org_role":1`))},
		{"org_role object", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":"acme","org_role":{"admin":true}`))},
		{"org_role array with a number", k.forge(k.header(""), k.claims(`"sub":"mallory","org_id":"acme","org_role":["member",1]`))},
		{"role boolean", k.forge(k.header(""), k.claims(`"sub":"mallory","role":true`))},
		{"role array with null", k.forge(k.header(""), k.claims(`"sub":"mallory","role":["admin",null]`))},
		{"permissions star", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":["*"]`))},
		{"permissions without action", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":["tasks"]`))},
		{"permissions with two colons", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":["tasks:read:all"]`))},
		{"permissions string", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":"tasks:read"`))},
		{"permissions with comma", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":["tasks:read,tasks:delete"]`))},
		{"statement map with numbers", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":{"tasks":[1]}`))},
		{"statement map with string value", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":{"tasks":"read"}`))},
		{"statement map with nested array", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":{"tasks":[["read"]]}`))},
		{"statement map with null", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":{"tasks":null}`))},
		{"statement map with colon in resource", k.forge(k.header(""), k.claims(`"sub":"mallory","permissions":{"tasks:read":["x"]}`))},
		{"email number", k.forge(k.header(""), k.claims(`"sub":"mallory","email":1`))},
		{"name object", k.forge(k.header(""), k.claims(`"sub":"mallory","name":{"first":"x"}`))},
		{"payload not an object", k.forge(k.header(""), `["sub","alice"]`)},
		{"payload nested JWS", k.forge(k.header(""), `"`+valid+`"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/api/me", "/api/public", "/api/posts"} {
				r := k.do("GET", path, tt.token, nil)
				if r.status != http.StatusUnauthorized {
					t.Errorf("GET %s: got %d, want 401; body %s", path, r.status, r.body)
					continue
				}
				if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, `Bearer error="invalid_token"`) {
					t.Errorf("GET %s: WWW-Authenticate = %q", path, h)
				}
				assertNoInternals(t, r)
			}
		})
	}

	t.Run("authorization header forms", func(t *testing.T) {
		for _, h := range []string{"Basic " + b64("alice:pw"), "Bearer", "Bearer ", "Token " + valid, valid, "Bearer " + valid + " extra"} {
			req, _ := http.NewRequest("GET", k.srv.URL+"/api/public", nil)
			req.Header.Set("Authorization", h)
			resp, err := k.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("Authorization %.20q...: got %d, want 401", h, resp.StatusCode)
			}
		}
	})
}

// TestAdversarialTokensAccepted pins the lenient edges that must keep working:
// leeway, aud arrays, Better Auth's comma lists and statement maps.
func TestAdversarialTokensAccepted(t *testing.T) {
	k := newKeyedEnv(t)
	now := time.Now().Unix()
	tests := []struct {
		name        string
		payload     string
		wantTenant  string
		wantRoles   []string
		wantPerms   []string
		wantSubject string
	}{
		{"aud array holding ours", fmt.Sprintf(`{"iss":%q,"aud":["other",%q],"exp":%d,"sub":"alice","org_id":"acme","org_role":"member"}`, testIssuer, testAudience, now+60),
			"acme", []string{"member"}, []string{}, "alice"},
		{"expired within leeway", fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"alice","org_id":"acme","org_role":"member"}`, testIssuer, testAudience, now-5),
			"acme", []string{"member"}, []string{}, "alice"},
		{"roles with spaces and repeats", k.claims(`"sub":"alice","org_id":"acme","org_role":" admin , member,admin,, "`),
			"acme", []string{"admin", "member"}, []string{}, "alice"},
		{"roles as array", k.claims(`"sub":"alice","org_id":"acme","org_role":["admin","member"]`),
			"acme", []string{"admin", "member"}, []string{}, "alice"},
		{"statement map", k.claims(`"sub":"alice","org_id":"acme","org_role":"member","permissions":{"tasks":["read","read"],"posts":[]}`),
			"acme", []string{"member"}, []string{"tasks:read"}, "alice"},
		{"no tenant claim: personal tenant", k.claims(`"sub":"alice","org_role":"member"`),
			"user:alice", []string{"owner"}, []string{}, "alice"},
		{"own personal tenant named: roles ignored", k.claims(`"sub":"alice","org_id":"user:alice","org_role":"member"`),
			"user:alice", []string{"owner"}, []string{}, "alice"},
		{"sub with odd characters", k.claims(`"sub":"a/../b,c\"d'e%_;--","org_id":"acme","org_role":"member"`),
			"acme", []string{"member"}, []string{}, `a/../b,c"d'e%_;--`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var me struct {
				ID          string   `json:"id"`
				Tenant      string   `json:"tenant"`
				TenantRoles []string `json:"tenant_roles"`
				Permissions []string `json:"permissions"`
			}
			r := k.do("GET", "/api/me", k.forge(k.header(""), tt.payload), nil)
			if r.status != http.StatusOK {
				t.Fatalf("got %d, want 200; body %s", r.status, r.body)
			}
			r.json(t, &me)
			got := fmt.Sprint(me.ID, me.Tenant, me.TenantRoles, me.Permissions)
			want := fmt.Sprint(tt.wantSubject, tt.wantTenant, tt.wantRoles, tt.wantPerms)
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// TestAdversarialClaimTricksGrantNothing: claims that look powerful but are not.
func TestAdversarialClaimTricksGrantNothing(t *testing.T) {
	k := newKeyedEnv(t)
	alice := k.member("alice", "acme", "member")
	aliceTask := k.createTask(alice, map[string]any{"title": "alice's"})
	bobPersonal := k.token(map[string]any{"sub": "bob"})
	bobTask := k.createTask(bobPersonal, map[string]any{"title": "bob's personal"})
	tok := func(extra string) string { return k.forge(k.header(""), k.claims(extra)) }

	tests := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		want   int
	}{
		{"role Admin is not admin", tok(`"sub":"eve","org_id":"acme","org_role":"Admin"`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
		{"role ADMIN cannot create", tok(`"sub":"eve","org_id":"acme","org_role":"ADMIN"`), "POST", "/api/tasks", map[string]any{"title": "x"}, 403},
		{"role with zero-width space", tok(`"sub":"eve","org_id":"acme","org_role":"admin\u200b"`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
		{"tasks:* is no wildcard", tok(`"sub":"eve","org_id":"acme","org_role":"member","permissions":["tasks:*","*:*"]`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
		{"statement map star", tok(`"sub":"eve","org_id":"acme","org_role":"member","permissions":{"*":["*"],"tasks":["*"]}`), "DELETE", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
		{"claims of a non-member grant nothing", tok(`"sub":"eve","org_id":"acme","permissions":["tasks:read","tasks:create"]`), "GET", "/api/tasks", nil, 403},
		{"non-member cannot read by id", tok(`"sub":"eve","org_id":"acme","permissions":["tasks:read"]`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 403},
		{"moderator list needs a tenant role, not a claim", tok(`"sub":"eve","org_id":"acme","org_role":"member","permissions":["reports:read","reports:resolve"]`), "GET", "/api/moderator/reports", nil, 403},
		{"admin routes need a tenant role, not users:read", tok(`"sub":"eve","org_id":"acme","org_role":"member","permissions":["users:read"]`), "GET", "/api/admin/users", nil, 403},
		{"global admin reads no tenant data", tok(`"sub":"root","role":"admin","org_id":"globex","org_role":"member"`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
		{"global admin with no tenant reads no personal data", tok(`"sub":"root","role":"admin"`), "GET", fmt.Sprintf("/api/tasks/%d", bobTask.ID), nil, 404},
		{"org_id padded personal tenant is refused", tok(`"sub":"mallory","org_id":" user:bob","org_role":"admin"`), "GET", fmt.Sprintf("/api/tasks/%d", bobTask.ID), nil, 401},
		{"org_id star is refused", tok(`"sub":"mallory","org_id":"*","org_role":"admin"`), "GET", "/api/admin/users", nil, 401},
		{"org_id upper-case personal tenant", tok(`"sub":"mallory","org_id":"USER:bob","org_role":"owner"`), "GET", fmt.Sprintf("/api/tasks/%d", bobTask.ID), nil, 404},
		{"org_id personal with trailing space", tok(`"sub":"mallory","org_id":"user:bob ","org_role":"owner"`), "DELETE", fmt.Sprintf("/api/tasks/%d", bobTask.ID), nil, 401},
		{"sub of the owner with another tenant", tok(`"sub":"bob","org_id":"acme","org_role":"admin"`), "GET", fmt.Sprintf("/api/tasks/%d", bobTask.ID), nil, 404},
		{"personal tenant roles cannot be widened to another", tok(`"sub":"mallory","org_id":"user:mallory","org_role":"admin","role":"owner"`), "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := k.do(tt.method, tt.path, tt.token, tt.body)
			if r.status != tt.want {
				t.Errorf("%s %s: got %d, want %d; body %s", tt.method, tt.path, r.status, tt.want, r.body)
			}
			assertNoInternals(t, r)
		})
	}
	// Nothing above changed either task.
	k.must(http.StatusOK, "GET", fmt.Sprintf("/api/tasks/%d", aliceTask.ID), alice, nil)
	k.must(http.StatusOK, "GET", fmt.Sprintf("/api/tasks/%d", bobTask.ID), bobPersonal, nil)
}

// TestAdversarialTenantIsolation: an admin of another tenant probing acme's ids
// gets exactly what it would get for ids that do not exist.
func TestAdversarialTenantIsolation(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	acmeAdmin := e.member("ann", "acme", "admin")
	gina := e.member("gina", "globex", "admin")
	ginaMod := e.member("gus", "globex", "moderator")

	task := e.createTask(alice, map[string]any{"title": "acme secret"})
	e.createTask(alice, map[string]any{"title": "acme done", "completed": true})
	var pub, priv, report struct {
		ID int64 `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/posts", alice, map[string]any{"title": "acme public", "is_public": true}).json(t, &pub)
	e.must(http.StatusCreated, "POST", "/api/posts", alice, map[string]any{"title": "acme private"}).json(t, &priv)
	e.must(http.StatusCreated, "POST", "/api/reports", alice, map[string]any{"post_id": pub.ID, "reason": "spam"}).json(t, &report)
	const missing = 987654

	pairs := []struct {
		name        string
		method      string
		path        string // %d is the acme id or the missing one
		id          int64
		body        any
		token       string
		wantStatus  int
		compareBody bool
	}{
		{"get task", "GET", "/api/tasks/%d", task.ID, nil, gina, 404, true},
		{"patch task", "PATCH", "/api/tasks/%d", task.ID, map[string]any{"title": "pwned"}, gina, 404, true},
		{"put task", "PUT", "/api/tasks/%d", task.ID, map[string]any{"title": "pwned"}, gina, 404, true},
		{"delete task", "DELETE", "/api/tasks/%d", task.ID, nil, gina, 404, true},
		{"get private post", "GET", "/api/posts/%d", priv.ID, nil, gina, 404, true},
		{"get public post of another tenant", "GET", "/api/posts/%d", pub.ID, nil, gina, 404, true},
		{"patch post", "PATCH", "/api/posts/%d", pub.ID, map[string]any{"title": "pwned"}, gina, 404, true},
		{"delete post", "DELETE", "/api/posts/%d", priv.ID, nil, gina, 404, true},
		{"anonymous private post", "GET", "/api/posts/%d", priv.ID, nil, "", 404, true},
		{"resolve report", "PATCH", "/api/moderator/reports/%d", report.ID, map[string]any{"status": "dismissed"}, gina, 404, true},
		{"moderator resolves report", "PATCH", "/api/moderator/reports/%d", report.ID, map[string]any{"status": "resolved"}, ginaMod, 404, true},
		{"report private post", "POST", "/api/reports", priv.ID, nil, gina, 422, true},
		{"report public post", "POST", "/api/reports", pub.ID, nil, gina, 422, true},
		{"me/can task", "POST", "/api/me/can", task.ID, nil, gina, 200, true},
		{"me/can post", "POST", "/api/me/can", priv.ID, nil, gina, 200, true},
		{"me/can report", "POST", "/api/me/can", report.ID, nil, gina, 200, true},
	}
	normalize := func(b []byte) string {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			delete(m, "request_id")
			out, _ := json.Marshal(m)
			return string(out)
		}
		return string(b)
	}
	for _, tt := range pairs {
		t.Run(tt.name, func(t *testing.T) {
			send := func(id int64) response {
				path, body := tt.path, tt.body
				if strings.Contains(path, "%d") {
					path = fmt.Sprintf(path, id)
				}
				switch {
				case tt.path == "/api/reports":
					body = map[string]any{"post_id": id, "reason": "spam"}
				case tt.path == "/api/me/can":
					typ := map[string]string{"me/can task": "task", "me/can post": "post", "me/can report": "report"}[tt.name]
					var qs []any
					for _, a := range []string{typ + "s:read", typ + "s:update", typ + "s:delete", "reports:resolve", "posts:moderate"} {
						qs = append(qs, map[string]any{"action": a, "resource": map[string]any{"type": typ, "id": id}})
					}
					body = qs
				}
				r := e.do(tt.method, path, tt.token, body)
				assertNoInternals(t, r)
				return r
			}
			got, ref := send(tt.id), send(missing)
			if got.status != tt.wantStatus {
				t.Errorf("acme id: got %d, want %d; body %s", got.status, tt.wantStatus, got.body)
			}
			if got.status != ref.status || normalize(got.body) != normalize(ref.body) {
				t.Errorf("acme id and missing id differ:\n acme:    %d %s\n missing: %d %s", got.status, got.body, ref.status, ref.body)
			}
		})
	}

	t.Run("lists and bulk changes stay in the tenant", func(t *testing.T) {
		var tasks []taskJSON
		mustIn(t, e, http.StatusOK, "GET", "/api/tasks?user_id=alice", gina, nil).json(t, &tasks)
		if len(tasks) != 0 {
			t.Errorf("globex admin listed %d acme tasks", len(tasks))
		}
		mustIn(t, e, http.StatusOK, "GET", "/api/tasks/paginated?user_id=alice&search=acme", gina, nil)
		var posts []map[string]any
		mustIn(t, e, http.StatusOK, "GET", "/api/posts", gina, nil).json(t, &posts)
		if len(posts) != 0 {
			t.Errorf("globex admin listed acme posts: %v", posts)
		}
		var reports []map[string]any
		mustIn(t, e, http.StatusOK, "GET", "/api/moderator/reports", gina, nil).json(t, &reports)
		if len(reports) != 0 {
			t.Errorf("globex admin listed acme reports: %v", reports)
		}
		var users []map[string]any
		mustIn(t, e, http.StatusOK, "GET", "/api/admin/users", gina, nil).json(t, &users)
		for _, u := range users {
			if u["tenant"] != "globex" {
				t.Errorf("globex admin listed user %v", u)
			}
		}
		var stats struct {
			Tenants []map[string]any `json:"tenants"`
		}
		mustIn(t, e, http.StatusOK, "GET", "/api/admin/stats", gina, nil).json(t, &stats)
		for _, s := range stats.Tenants {
			if s["tenant"] != "globex" {
				t.Errorf("globex admin saw stats %v", s)
			}
		}
		mustIn(t, e, http.StatusOK, "DELETE", "/api/tasks/bulk", gina, nil)
		mustIn(t, e, http.StatusOK, "PATCH", "/api/tasks/bulk/complete", gina, nil)
		// A member's bulk changes touch only its own rows, not a tenant admin's.
		e.createTask(acmeAdmin, map[string]any{"title": "ann open"})
		var done map[string]int
		mustIn(t, e, http.StatusOK, "PATCH", "/api/tasks/bulk/complete", alice, nil).json(t, &done)
		if done["completed"] != 1 {
			t.Errorf("alice completed %d tasks, want 1 (her own open one)", done["completed"])
		}
		var all []taskJSON
		mustIn(t, e, http.StatusOK, "GET", "/api/tasks", acmeAdmin, nil).json(t, &all)
		if len(all) != 3 {
			t.Fatalf("acme has %d tasks, want 3", len(all))
		}
		for _, tk := range all {
			if tk.Title == "acme secret" && !tk.Completed {
				t.Errorf("alice's own task was not completed")
			}
			if tk.Title == "ann open" && tk.Completed {
				t.Errorf("alice's bulk complete touched ann's task")
			}
		}
	})
}

// TestAdversarialMeCanRevealsInvisibleRows: /api/me/can promises to reveal nothing
// about existence, but a question whose action does not look at the row (me:read,
// tasks:create, users:read, ...) is answered "allowed" for any row the store
// finds, and "not found" for an id that does not exist.
//
// Cause: api/me.go can() hides a row only when the decision is a deny that is
// also not visible; an allow on a row-less action never checks that the subject
// may see the row it named. For posts, loadResource also looks the id up in
// every tenant (FindPostByID), and the policy's _platform_ok lets a global
// admin's platform actions pass _tenant_ok, so a platform admin learns which
// private post ids exist in other tenants.
func TestAdversarialMeCanRevealsInvisibleRows(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	carol := e.member("carol", "acme", "member")
	bob := e.member("bob", "globex", "admin")
	platform := e.token(map[string]any{"sub": "root", "role": "admin", "org_id": "initech", "org_role": "member"})

	carolTask := e.createTask(carol, map[string]any{"title": "carol's private task"})
	var carolPost, bobPost struct {
		ID int64 `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/posts", carol, map[string]any{"title": "carol draft"}).json(t, &carolPost)
	e.must(http.StatusCreated, "POST", "/api/posts", bob, map[string]any{"title": "globex draft"}).json(t, &bobPost)
	// Neither row is readable by the asker: the read routes say 404.
	e.must(http.StatusNotFound, "GET", fmt.Sprintf("/api/tasks/%d", carolTask.ID), alice, nil)
	e.must(http.StatusNotFound, "GET", fmt.Sprintf("/api/posts/%d", carolPost.ID), alice, nil)
	e.must(http.StatusNotFound, "GET", fmt.Sprintf("/api/posts/%d", bobPost.ID), platform, nil)

	const missing = 987654
	tests := []struct {
		name   string
		token  string
		action string
		typ    string
		id     int64
	}{
		{"member, me:read on a colleague's task", alice, "me:read", "task", carolTask.ID},
		{"member, tasks:create on a colleague's task", alice, "tasks:create", "task", carolTask.ID},
		{"member, posts:create on a colleague's draft", alice, "posts:create", "post", carolPost.ID},
		{"platform admin, users:read on another tenant's draft", platform, "users:read", "post", bobPost.ID},
		{"platform admin, admin:access on another tenant's draft", platform, "admin:access", "post", bobPost.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := func(id int64) []map[string]any {
				return []map[string]any{{"action": tt.action, "resource": map[string]any{"type": tt.typ, "id": id}}}
			}
			var got, ref []struct {
				Allowed bool   `json:"allowed"`
				Reason  string `json:"reason"`
			}
			e.must(http.StatusOK, "POST", "/api/me/can", tt.token, q(tt.id)).json(t, &got)
			e.must(http.StatusOK, "POST", "/api/me/can", tt.token, q(missing)).json(t, &ref)
			if got[0] != ref[0] {
				t.Errorf("an invisible %s answers %+v, a missing one %+v: existence leaks", tt.typ, got[0], ref[0])
			}
		})
	}
}

// mustIn is env.must failing the calling (sub)test rather than the env's own.
func mustIn(t *testing.T, e *env, want int, method, path, token string, body any) response {
	t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		t.Fatalf("%s %s: got %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

// slowReader hides its length so the client sends the body chunked.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) { return s.r.Read(p) }

// rawDo sends a request the env helpers cannot express (a body without
// Content-Length, extra headers) and checks it against the OpenAPI document.
func rawDo(t *testing.T, e *env, method, path, token string, body io.Reader, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodHead {
		checkResponse(t, method, path, resp.StatusCode, resp.Header, raw)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// TestAdversarialInputHeld: hostile bodies, query strings and paths that are
// answered with the right 4xx (never a 500, never internals).
func TestAdversarialInputHeld(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	own := e.createTask(alice, map[string]any{"title": "100%_done"})
	e.createTask(alice, map[string]any{"title": "100xydone"})
	e.createTask(alice, map[string]any{"title": `it's "quoted"; --`})
	e.createTask(alice, map[string]any{"title": `back\slash`})
	idPath := fmt.Sprintf("/api/tasks/%d", own.ID)
	overMiB := `{"title":"x","description":"` + strings.Repeat("a", 1<<20) + `"}`

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{"just over 1 MiB", "POST", "/api/tasks", overMiB, 413},
		{"1 MiB of whitespace then JSON", "POST", "/api/tasks", strings.Repeat(" ", 1<<20) + `{"title":"x"}`, 413},
		{"bulk over 1 MiB", "POST", "/api/tasks/bulk-import", "[" + strings.Repeat(`{"title":"x"},`, 80000) + `{"title":"x"}]`, 413},
		{"nesting 5000 deep", "POST", "/api/tasks", strings.Repeat("[", 5000) + strings.Repeat("]", 5000), 422},
		{"nesting 20000 deep", "POST", "/api/tasks", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), 400},
		{"nesting in a field", "POST", "/api/tasks", `{"title":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}`, 422},
		{"truncated JSON", "POST", "/api/tasks", `{"title":"x"`, 400},
		{"trailing garbage", "POST", "/api/tasks", `{"title":"x"} {"title":"y"}`, 400},
		{"empty body", "POST", "/api/tasks", " ", 400},
		{"JSON null", "POST", "/api/tasks", `null`, 422},
		{"JSON string", "POST", "/api/tasks", `"title"`, 422},
		{"NaN", "POST", "/api/tasks", `{"title":NaN}`, 400},
		{"single quotes", "POST", "/api/tasks", `{'title':'x'}`, 400},
		{"unknown field", "POST", "/api/tasks", `{"title":"x","tenant_id":"globex"}`, 422},
		{"server-owned id", "POST", "/api/tasks", `{"title":"x","id":1}`, 422},
		{"server-owned id escaped", "POST", "/api/tasks", `{"title":"x","\u0069d":1}`, 422},
		{"server-owned user_id", "POST", "/api/tasks", `{"title":"x","user_id":"bob"}`, 422},
		{"created_at", "PATCH", idPath, `{"created_at":"2000-01-01T00:00:00Z"}`, 422},
		{"PUT with owner", "PUT", idPath, `{"title":"x","owner_id":"bob"}`, 422},
		{"title number", "POST", "/api/tasks", `{"title":1}`, 422},
		{"title null", "POST", "/api/tasks", `{"title":null}`, 422},
		{"title blank", "POST", "/api/tasks", `{"title":" \t\n\u00a0\u3000 "}`, 422},
		{"title 201 characters", "POST", "/api/tasks", `{"title":"` + strings.Repeat("é", 201) + `"}`, 422},
		{"title 101 emoji with modifiers (202 code points)", "POST", "/api/tasks", `{"title":"` + strings.Repeat("👍🏽", 101) + `"}`, 422},
		{"title 200 code points of 4 bytes", "POST", "/api/tasks", `{"title":"` + strings.Repeat("😀", 200) + `"}`, 201},
		{"description 10001", "POST", "/api/tasks", `{"title":"x","description":"` + strings.Repeat("ü", 10001) + `"}`, 422},
		{"priority case", "POST", "/api/tasks", `{"title":"x","priority":"HIGH"}`, 422},
		{"priority empty", "POST", "/api/tasks", `{"title":"x","priority":""}`, 422},
		{"completed string", "POST", "/api/tasks", `{"title":"x","completed":"true"}`, 422},
		{"completed number", "POST", "/api/tasks", `{"title":"x","completed":1}`, 422},
		{"due_date no zone", "POST", "/api/tasks", `{"title":"x","due_date":"2026-01-01T00:00:00"}`, 422},
		{"due_date date only", "POST", "/api/tasks", `{"title":"x","due_date":"2026-01-01"}`, 422},
		{"due_date year 10000", "POST", "/api/tasks", `{"title":"x","due_date":"10000-01-01T00:00:00Z"}`, 422},
		{"due_date month 13", "POST", "/api/tasks", `{"title":"x","due_date":"2026-13-01T00:00:00Z"}`, 422},
		{"due_date Feb 30", "POST", "/api/tasks", `{"title":"x","due_date":"2026-02-30T00:00:00Z"}`, 422},
		{"due_date number", "POST", "/api/tasks", `{"title":"x","due_date":1767225600}`, 422},
		{"due_date year 0 UTC is refused (PostgreSQL has no year 0)", "POST", "/api/tasks", `{"title":"x","due_date":"0000-01-01T00:00:00Z"}`, 422},
		{"due_date year 1 UTC", "POST", "/api/tasks", `{"title":"x","due_date":"0001-01-01T00:00:00Z"}`, 201},
		{"id with plus sign", "GET", "/api/tasks/+1", ``, 422},
		{"id with leading zero", "GET", "/api/tasks/01", ``, 422},
		{"duplicate keys, last wins", "POST", "/api/tasks", `{"title":"","title":"second"}`, 201},
		{"non-UTF-8 title", "POST", "/api/tasks", "{\"title\":\"\xff\xfe ok\"}", 201},
		{"lone surrogate", "POST", "/api/tasks", `{"title":"\ud800"}`, 201},
		{"patch empty object", "PATCH", idPath, `{}`, 422},
		{"patch title null", "PATCH", idPath, `{"title":null}`, 422},
		{"bulk empty", "POST", "/api/tasks/bulk", `[]`, 422},
		{"bulk 101", "POST", "/api/tasks/bulk", "[" + strings.Repeat(`{"title":"x"},`, 100) + `{"title":"x"}]`, 422},
		{"bulk of null", "POST", "/api/tasks/bulk", `[null]`, 422},
		{"bulk object", "POST", "/api/tasks/bulk", `{"title":"x"}`, 422},
		{"bulk with one bad item", "POST", "/api/tasks/bulk", `[{"title":"ok"},{"title":"ok","id":9}]`, 422},
		{"me/can id 1e309", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":1e309}}]`, 422},
		{"me/can id -0", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":-0}}]`, 422},
		{"me/can id 1.0", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":1.0}}]`, 422},
		{"me/can id 1.5", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":1.5}}]`, 422},
		{"me/can id beyond int64", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":9223372036854775808}}]`, 422},
		{"me/can id string", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"task","id":"1"}}]`, 422},
		{"me/can unknown type", "POST", "/api/me/can", `[{"action":"tasks:read","resource":{"type":"user","id":1}}]`, 422},
		{"me/can 101 questions", "POST", "/api/me/can", "[" + strings.Repeat(`{"action":"me:read","resource":{"type":"task"}},`, 100) + `{"action":"me:read","resource":{"type":"task"}}]`, 422},
		{"me/can unknown action", "POST", "/api/me/can", `[{"action":"' OR 1=1 --","resource":{"type":"task"}}]`, 200},
		{"report post_id 1e309", "POST", "/api/reports", `{"post_id":1e309,"reason":"x"}`, 422},
		{"report post_id 0", "POST", "/api/reports", `{"post_id":0,"reason":"x"}`, 422},
		{"report reason blank", "POST", "/api/reports", `{"post_id":1,"reason":"  "}`, 422},
		{"skip max int64", "GET", "/api/tasks?skip=9223372036854775807", nil, 200},
		{"skip beyond int64", "GET", "/api/tasks?skip=9223372036854775808", nil, 422},
		{"skip negative", "GET", "/api/tasks?skip=-1", nil, 422},
		{"limit zero", "GET", "/api/tasks?limit=0", nil, 422},
		{"limit huge is capped", "GET", "/api/tasks?limit=9223372036854775807", nil, 200},
		{"limit float", "GET", "/api/tasks?limit=1.0", nil, 422},
		{"limit hex", "GET", "/api/tasks?limit=0x10", nil, 422},
		{"limit repeated", "GET", "/api/tasks?limit=1&limit=2", nil, 422},
		{"limit empty", "GET", "/api/tasks?limit=", nil, 422},
		{"completed yes", "GET", "/api/tasks?completed=yes", nil, 422},
		{"unknown parameter", "GET", "/api/tasks?tenant_id=globex", nil, 422},
		{"parameter case", "GET", "/api/tasks?Limit=1", nil, 422},
		{"search too long", "GET", "/api/tasks?search=" + strings.Repeat("a", 201), nil, 422},
		{"page max", "GET", "/api/tasks/paginated?page=92233720368547758&page_size=100", nil, 200},
		{"page overflow", "GET", "/api/tasks/paginated?page=92233720368547759&page_size=100", nil, 422},
		{"page max int64", "GET", "/api/tasks/paginated?page=9223372036854775807", nil, 422},
		{"page zero", "GET", "/api/tasks/paginated?page=0", nil, 422},
		{"page_size 101", "GET", "/api/tasks/paginated?page_size=101", nil, 422},
		{"page_size zero", "GET", "/api/tasks/paginated?page_size=0", nil, 422},
		{"cursor garbage", "GET", "/api/tasks/paginated?cursor=%27%3B--", nil, 422},
		{"cursor with page", "GET", "/api/tasks/paginated?page=1&cursor=" + b64("1.1"), nil, 422},
		{"cursor id zero", "GET", "/api/tasks/paginated?cursor=" + b64("1.0"), nil, 422},
		{"cursor id beyond int64", "GET", "/api/tasks/paginated?cursor=" + b64("1.9223372036854775808"), nil, 422},
		{"cursor SQL", "GET", "/api/tasks/paginated?cursor=" + b64("1.1 OR 1=1"), nil, 422},
		{"cursor min time", "GET", "/api/tasks/paginated?cursor=" + b64("-9223372036854775808.1"), nil, 200},
		{"cursor max time and id", "GET", "/api/tasks/paginated?cursor=" + b64("9223372036854775807.9223372036854775807"), nil, 200},
		{"cursor padded base64", "GET", "/api/tasks/paginated?cursor=" + base64.URLEncoding.EncodeToString([]byte("1.12")), nil, 422},
		{"id zero", "GET", "/api/tasks/0", nil, 422},
		{"id negative", "GET", "/api/tasks/-1", nil, 422},
		{"id beyond int64", "GET", "/api/tasks/9223372036854775808", nil, 422},
		{"id float", "GET", "/api/tasks/1.0", nil, 422},
		{"id exponent", "GET", "/api/tasks/1e3", nil, 422},
		{"id with SQL", "GET", "/api/tasks/1%20OR%201=1", nil, 422},
		{"id max int64 missing", "GET", "/api/tasks/9223372036854775807", nil, 404},
		{"trailing slash", "GET", "/api/tasks/", nil, 404},
		{"id with trailing slash", "GET", idPath + "/", nil, 404},
		{"double slash", "GET", "//api/tasks", nil, 404},
		{"dot segment", "GET", "/api/tasks/../tasks", nil, 404},
		{"encoded slash", "GET", "/api/tasks/..%2f1", nil, 404},
		{"upper-case path", "GET", "/API/TASKS", nil, 404},
		{"OPTIONS", "OPTIONS", "/api/tasks", nil, 405},
		{"TRACE", "TRACE", "/api/tasks", nil, 405},
		{"POST to an id", "POST", idPath, `{"title":"x"}`, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, alice, tt.body)
			if r.status != tt.want {
				b := string(r.body)
				if len(b) > 300 {
					b = b[:300]
				}
				t.Errorf("%s %.80s: got %d, want %d; body %s", tt.method, tt.path, r.status, tt.want, b)
			}
			if r.status == http.StatusUnprocessableEntity {
				if p := r.problem(t); p["errors"] == nil {
					t.Errorf("422 names no field: %s", r.body)
				}
			}
			assertNoInternals(t, r)
		})
	}

	t.Run("search matches % _ \\ ' \" ; -- literally", func(t *testing.T) {
		for search, want := range map[string]string{
			"%_":        "100%_done",
			"_":         "100%_done",
			`\`:         `back\slash`,
			`'s "quo`:   `it's "quoted"; --`,
			"; --":      `it's "quoted"; --`,
			"100%":      "100%_done",
			"DONE":      "100%_done,100xydone",
			"%' OR '1'": "",
		} {
			var got []taskJSON
			mustIn(t, e, http.StatusOK, "GET", "/api/tasks?search="+urlQueryEscape(search), alice, nil).json(t, &got)
			var titles []string
			for _, tk := range got {
				titles = append(titles, tk.Title)
			}
			if g := strings.Join(sortedStrings(titles), ","); g != want {
				t.Errorf("search %q: got %q, want %q", search, g, want)
			}
		}
	})

	t.Run("chunked body over 1 MiB", func(t *testing.T) {
		r := rawDo(t, e, "POST", "/api/tasks", alice, slowReader{strings.NewReader(overMiB)},
			map[string]string{"Content-Type": "application/json"})
		if r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("got %d, want 413; body %s", r.status, r.body)
		}
	})
	t.Run("chunked body under 1 MiB", func(t *testing.T) {
		r := rawDo(t, e, "POST", "/api/tasks", alice, slowReader{strings.NewReader(`{"title":"chunked"}`)},
			map[string]string{"Content-Type": "application/json"})
		if r.status != http.StatusCreated {
			t.Errorf("got %d, want 201; body %s", r.status, r.body)
		}
	})
	t.Run("Content-Length lies low", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/tasks", strings.NewReader(`{"title":"x"}`))
		req.ContentLength = 5
		req.Header.Set("Authorization", "Bearer "+alice)
		resp, err := e.srv.Client().Do(req)
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("got %d, want 400", resp.StatusCode)
			}
		}
	})
	t.Run("text/plain body", func(t *testing.T) {
		r := rawDo(t, e, "POST", "/api/tasks", alice, strings.NewReader(`{"title":"x"}`), map[string]string{"Content-Type": "text/plain"})
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusUnsupportedMediaType {
			t.Errorf("got %d, want 415 or 422", r.status)
		}
	})
	t.Run("hostile X-Request-Id is replaced", func(t *testing.T) {
		for _, id := range []string{strings.Repeat("a", 65), "a b", "<script>", "a\tb", "ü"} {
			r := rawDo(t, e, "GET", "/healthz", "", nil, map[string]string{"X-Request-Id": id})
			if got := r.header.Get("X-Request-Id"); got == id || got == "" {
				t.Errorf("X-Request-Id %q: echoed %q", id, got)
			}
		}
	})
	t.Run("HEAD is refused without a body", func(t *testing.T) {
		r := rawDo(t, e, "HEAD", "/api/tasks", alice, nil, nil)
		if r.status != http.StatusMethodNotAllowed || len(r.body) != 0 || r.header.Get("X-Request-Id") == "" {
			t.Errorf("got %d, body %q", r.status, r.body)
		}
	})
	t.Run("no 500 was logged", func(t *testing.T) {
		if strings.Contains(e.logs.String(), `"status":500`) {
			t.Errorf("a request above answered 500; log:\n%s", e.logs.String())
		}
	})
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23", `\`, "%5C", `"`, "%22", "'", "%27", ";", "%3B")
	return r.Replace(s)
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestAdversarialDueDateBeyondYear9999Is500AndPoisonsLists: a due_date whose offset
// moves it past 9999-12-31T23:59:59Z in UTC (or before year 0) parses as RFC 3339,
// is stored, and then cannot be encoded: time.Time.MarshalJSON refuses years
// outside [0, 9999]. The create answers 500, the row stays, and from then on every
// list that includes it (GET /api/tasks, /paginated) answers 500 too.
//
// Cause: api/decode.go member.timestamp converts to UTC without checking the
// encodable range; respond() turns the marshal error into a 500. Want: 422
// naming due_date (or a due_date that survives the round trip).
func TestAdversarialDueDateBeyondYear9999Is500AndPoisonsLists(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	own := e.createTask(alice, map[string]any{"title": "fine"})
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/api/tasks", `{"title":"x","due_date":"9999-12-31T23:59:59-23:59"}`},
		{"POST", "/api/tasks", `{"title":"x","due_date":"0000-01-01T00:00:00+01:00"}`},
		{"POST", "/api/tasks/bulk", `[{"title":"x","due_date":"9999-12-31T20:00:00-05:00"}]`},
		{"PATCH", fmt.Sprintf("/api/tasks/%d", own.ID), `{"due_date":"9999-12-31T23:00:00-02:00"}`},
		{"PUT", fmt.Sprintf("/api/tasks/%d", own.ID), `{"title":"x","due_date":"9999-12-31T23:00:00-02:00"}`},
	} {
		r := e.do(tt.method, tt.path, alice, tt.body)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s %s: got %d, want 422 naming due_date; body %s", tt.method, tt.path, tt.body, r.status, r.body)
		}
	}
	for _, path := range []string{"/api/tasks", "/api/tasks/paginated", fmt.Sprintf("/api/tasks/%d", own.ID)} {
		if r := e.do("GET", path, alice, nil); r.status != http.StatusOK {
			t.Errorf("GET %s afterwards: got %d, want 200; body %s", path, r.status, r.body)
		}
	}
}

// TestAdversarialNULByte422NamesNoField: PostgreSQL refuses U+0000 in text. The
// service answers 422, but with detail "invalid value" and no errors array, so
// the client cannot tell which field or parameter to fix (CONTRACT §5: "422
// naming the field").
//
// Cause: nothing above the database rejects NUL; repo/errors.go pqDomainError
// maps the data-exception class (22021) to a bare EINVALID. Want: the decoder
// and query reader reject U+0000 with a FieldError for title, description,
// body, reason, search, user_id.
func TestAdversarialNULByte422NamesNoField(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	own := e.createTask(alice, map[string]any{"title": "fine"})
	var post struct {
		ID int64 `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/posts", alice, map[string]any{"title": "p", "is_public": true}).json(t, &post)
	tests := []struct {
		method, path, body, field string
	}{
		{"POST", "/api/tasks", `{"title":"a\u0000b"}`, "title"},
		{"POST", "/api/tasks", `{"title":"ok","description":"\u0000"}`, "description"},
		{"PATCH", fmt.Sprintf("/api/tasks/%d", own.ID), `{"title":"\u0000x"}`, "title"},
		{"POST", "/api/tasks/bulk", `[{"title":"ok"},{"title":"x\u0000"}]`, "[1].title"},
		{"POST", "/api/posts", `{"title":"t","body":"\u0000"}`, "body"},
		{"POST", "/api/reports", fmt.Sprintf(`{"post_id":%d,"reason":"spam\u0000"}`, post.ID), "reason"},
		{"GET", "/api/tasks?search=%00", "", "search"},
		{"GET", "/api/tasks?user_id=bob%00", "", "user_id"},
		{"GET", "/api/tasks/paginated?search=a%00", "", "search"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.field, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := e.do(tt.method, tt.path, alice, body)
			assertNoInternals(t, r)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422; body %s", r.status, r.body)
			}
			var p struct {
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			r.json(t, &p)
			if len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
				t.Errorf("errors = %+v, want one naming %q; body %s", p.Errors, tt.field, r.body)
			}
		})
	}
}
