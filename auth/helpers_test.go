package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/warden-authz/warden"
)

const (
	testIssuerURL = "https://auth.example.test"
	testAudience  = "https://api.example.test"
)

func testStart() time.Time { return time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) }

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// signingKey is a private key plus the public JWK the test JWKS serves for it.
type signingKey struct {
	alg  jwa.SignatureAlgorithm
	kid  string
	priv any
	pub  jwk.Key
}

func newSigningKey(t testing.TB, alg jwa.SignatureAlgorithm, kid string) signingKey {
	t.Helper()
	var priv, pub any
	switch alg {
	case jwa.EdDSA:
		p, s, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = s, p
	case jwa.ES256, jwa.ES384, jwa.ES512:
		curve := map[jwa.SignatureAlgorithm]elliptic.Curve{jwa.ES256: elliptic.P256(), jwa.ES384: elliptic.P384(), jwa.ES512: elliptic.P521()}[alg]
		s, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = s, &s.PublicKey
	case jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
		s, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = s, &s.PublicKey
	default:
		t.Fatalf("no test key for %s", alg)
	}
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, k, jwk.KeyIDKey, kid)
	mustSet(t, k, jwk.AlgorithmKey, alg)
	return signingKey{alg: alg, kid: kid, priv: priv, pub: k}
}

// withoutAlg returns the key as a JWKS entry that names no alg.
func (k signingKey) withoutAlg(t testing.TB) signingKey {
	t.Helper()
	pub, err := k.pub.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Remove(jwk.AlgorithmKey); err != nil {
		t.Fatal(err)
	}
	k.pub = pub
	return k
}

func mustSet(t testing.TB, k jwk.Key, name string, v any) {
	t.Helper()
	if err := k.Set(name, v); err != nil {
		t.Fatal(err)
	}
}

func b64(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenSpec describes a token to build by hand, so tests can produce headers and
// algorithms no well-behaved library would sign.
type tokenSpec struct {
	key    signingKey
	header map[string]any // merged over {alg, kid}; a nil value removes the field
	claims map[string]any // merged over the valid defaults; a nil value removes the claim
	alg    jwa.SignatureAlgorithm
	hmac   []byte // sign with HMAC under this secret instead of key
}

func validClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub":   "user-1",
		"iss":   testIssuerURL,
		"aud":   testAudience,
		"iat":   now.Unix(),
		"exp":   now.Add(15 * time.Minute).Unix(),
		"email": "ada@example.test",
		"name":  "Ada",
	}
}

func makeToken(t testing.TB, now time.Time, spec tokenSpec) string {
	t.Helper()
	alg := spec.key.alg
	if spec.alg != "" {
		alg = spec.alg
	}
	header := map[string]any{"alg": alg, "kid": spec.key.kid}
	merge(header, spec.header)
	claims := validClaims(now)
	merge(claims, spec.claims)

	input := b64(t, header) + "." + b64(t, claims)
	var sig []byte
	switch {
	case alg == jwa.NoSignature:
	case spec.hmac != nil:
		s, err := jws.NewSigner(alg)
		if err != nil {
			t.Fatal(err)
		}
		if sig, err = s.Sign([]byte(input), spec.hmac); err != nil {
			t.Fatal(err)
		}
	default:
		s, err := jws.NewSigner(alg)
		if err != nil {
			t.Fatal(err)
		}
		if sig, err = s.Sign([]byte(input), spec.key.priv); err != nil {
			t.Fatal(err)
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

// jwksServer is a JWKS endpoint whose keys, availability and fetch count the
// test controls.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	down    bool
	fetches atomic.Int32
}

func newJWKSServer(t testing.TB, keys ...signingKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.setKeys(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, down := s.body, s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t testing.TB, keys ...signingKey) {
	t.Helper()
	pubs := make([]jwk.Key, 0, len(keys))
	for _, k := range keys {
		pubs = append(pubs, k.pub)
	}
	b, err := json.Marshal(map[string]any{"keys": pubs})
	if err != nil {
		t.Fatal(err)
	}
	s.setBody(b)
}

func (s *jwksServer) setBody(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = b
}

func (s *jwksServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// outcomes records what OnVerify and OnRefresh report.
type outcomes struct {
	mu        sync.Mutex
	verify    []string
	refreshes []error
}

func (o *outcomes) onVerify(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.verify = append(o.verify, s)
}

func (o *outcomes) onRefresh(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refreshes = append(o.refreshes, err)
}

func (o *outcomes) last(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.verify) == 0 {
		t.Fatal("OnVerify was never called")
	}
	return o.verify[len(o.verify)-1]
}

type fixture struct {
	v     *Verifier
	clock *testClock
	out   *outcomes
}

func newFixture(t *testing.T, url string, edit func(*Config)) fixture {
	t.Helper()
	clock := &testClock{now: testStart()}
	out := &outcomes{}
	cfg := Config{
		JWKSURL:   url,
		Issuer:    testIssuerURL,
		Audience:  testAudience,
		Leeway:    30 * time.Second,
		Now:       clock.Now,
		OnVerify:  out.onVerify,
		OnRefresh: out.onRefresh,
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := NewVerifier(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return fixture{v: v, clock: clock, out: out}
}

// verifyOutcome runs Verify and checks the error code and OnVerify label.
func (f fixture) verifyOutcome(t *testing.T, token, wantCode, wantOutcome string) (*warden.Subject, error) {
	t.Helper()
	s, err := f.v.Verify(context.Background(), token)
	if got := warden.ErrorCode(err); got != wantCode {
		t.Errorf("error code: got %q (%v), want %q", got, err, wantCode)
	}
	if got := f.out.last(t); got != wantOutcome {
		t.Errorf("outcome: got %q, want %q", got, wantOutcome)
	}
	if err != nil && s != nil {
		t.Errorf("got subject %+v with error %v", s, err)
	}
	if err != nil && strings.Contains(warden.ErrorMessage(err), "BEGIN") {
		t.Errorf("message leaks key material: %q", warden.ErrorMessage(err))
	}
	return s, err
}

func cmpSubject(got, want *warden.Subject) string { return cmp.Diff(got, want) }
