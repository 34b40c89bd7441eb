package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/warden-authz/warden"
)

func TestUnknownKidRefetchesOncePerCooldown(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	b := newSigningKey(t, jwa.EdDSA, "key-b")
	c := newSigningKey(t, jwa.ES256, "key-c")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, nil) // default cooldown: 30s
	assertFetches(t, srv, 1)

	// Rotation: the issuer publishes key-b and signs with it.
	srv.setKeys(t, a, b)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: b}), "", OutcomeOK)
	assertFetches(t, srv, 2)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: b}), "", OutcomeOK)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
	assertFetches(t, srv, 2)

	// A second unknown kid inside the cooldown does not reach the issuer, even
	// after the issuer starts publishing it.
	srv.setKeys(t, a, b, c)
	f.clock.Advance(29 * time.Second)
	for range 5 {
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: c}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	}
	assertFetches(t, srv, 2)

	// Once the cooldown has passed, one more fetch finds it.
	f.clock.Advance(2 * time.Second)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: c}), "", OutcomeOK)
	assertFetches(t, srv, 3)

	// A kid the issuer never publishes costs one fetch per cooldown, no more.
	stranger := newSigningKey(t, jwa.EdDSA, "stranger")
	f.clock.Advance(31 * time.Second)
	for range 3 {
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: stranger}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	}
	assertFetches(t, srv, 4)
}

func TestUnknownKidConcurrentMissesFetchOnce(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	b := newSigningKey(t, jwa.EdDSA, "key-b")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, nil)
	srv.setKeys(t, a, b)
	tok := makeToken(t, f.clock.Now(), tokenSpec{key: b})

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := f.v.Verify(context.Background(), tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Verify: %v", err)
	}
	assertFetches(t, srv, 2)
}

func TestCustomRefreshCooldown(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, func(c *Config) { c.RefreshCooldown = 5 * time.Minute })
	stranger := newSigningKey(t, jwa.EdDSA, "stranger")
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: stranger}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	f.clock.Advance(4 * time.Minute)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: stranger}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	assertFetches(t, srv, 2)
	f.clock.Advance(time.Minute)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: stranger}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	assertFetches(t, srv, 3)
}

func TestJWKSDownAfterGoodLoad(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	b := newSigningKey(t, jwa.EdDSA, "key-b")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, nil)
	srv.setDown(true)

	for range 3 {
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
	}
	if err := f.v.Ready(context.Background()); err != nil {
		t.Errorf("Ready: got %v, want nil (the last good key set still serves)", err)
	}
	assertFetches(t, srv, 1)

	// A kid it has never seen may exist at the unreachable issuer: that is an
	// outage, not a bad token, and known keys keep working meanwhile.
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: b}), warden.EUNAVAILABLE, OutcomeUnavailable)
	assertFetches(t, srv, 2)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: b}), warden.EUNAVAILABLE, OutcomeUnavailable)
	assertFetches(t, srv, 2)

	// Back up with key-b published: the next fetch after the cooldown finds it.
	srv.setKeys(t, a, b)
	srv.setDown(false)
	f.clock.Advance(31 * time.Second)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: b}), "", OutcomeOK)
	assertFetches(t, srv, 3)

	f.out.mu.Lock()
	defer f.out.mu.Unlock()
	if len(f.out.refreshes) != 3 || f.out.refreshes[0] != nil || f.out.refreshes[1] == nil || f.out.refreshes[2] != nil {
		t.Errorf("OnRefresh: got %v, want [nil, error, nil]", f.out.refreshes)
	}
}

func TestJWKSNeverReachable(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	srv.setDown(true)
	f := newFixture(t, srv.URL, nil)
	ctx := context.Background()

	if err := f.v.Ready(ctx); warden.ErrorCode(err) != warden.EUNAVAILABLE {
		t.Errorf("Ready: got %v, want an %s error", err, warden.EUNAVAILABLE)
	}
	_, err := f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), warden.EUNAVAILABLE, OutcomeUnavailable)
	if got := warden.ErrorMessage(err); got != "token signing keys are unavailable" {
		t.Errorf("message: got %q", got)
	}
	// Tokens that fail before any key is needed are still plain 401s.
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a, alg: jwa.NoSignature}), warden.EUNAUTHENTICATED, OutcomeBadAlgorithm)
	f.verifyOutcome(t, "garbage", warden.EUNAUTHENTICATED, OutcomeMalformed)
	// Start-up fetch, then one retry for the first request (Ready shares its cooldown).
	fetches := srv.fetches.Load()
	if fetches < 2 || fetches > 3 {
		t.Errorf("JWKS fetches: got %d, want 2 or 3", fetches)
	}

	srv.setDown(false)
	f.clock.Advance(31 * time.Second)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
	if err := f.v.Ready(ctx); err != nil {
		t.Errorf("Ready after recovery: got %v, want nil", err)
	}
}

func TestJWKSConnectionRefused(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	f := newFixture(t, url, nil)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), warden.EUNAVAILABLE, OutcomeUnavailable)
}

func TestJWKSContents(t *testing.T) {
	good := newSigningKey(t, jwa.EdDSA, "good")
	short := newSigningKey(t, jwa.EdDSA, "short")
	mustSet(t, short.pub, "x", []byte{1, 2, 3}) // ed25519.Verify would panic on this key
	encKey := newSigningKey(t, jwa.ES256, "enc")
	mustSet(t, encKey.pub, jwk.KeyUsageKey, "enc")
	weakRSA := weakRSAKey(t, "weak")
	p384 := newSigningKey(t, jwa.ES384, "p384-as-es256")
	mustSet(t, p384.pub, jwk.AlgorithmKey, jwa.ES256)

	offCurve := newSigningKey(t, jwa.ES256, "off-curve")
	point := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

	entries := []any{good.pub, short.pub, encKey.pub, weakRSA.pub, p384.pub,
		map[string]any{"kty": "EC", "crv": "P-256", "kid": "off-curve", "alg": "ES256", "x": point, "y": point},
		map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
		map[string]any{"kty": "OKP", "crv": "X25519", "kid": "x25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"},
		map[string]any{"kty": "unknown", "kid": "odd"},
	}
	body, err := json.Marshal(map[string]any{"keys": entries})
	if err != nil {
		t.Fatal(err)
	}
	srv := newJWKSServer(t)
	srv.setBody(body)
	f := newFixture(t, srv.URL, func(c *Config) { c.Algorithms = []string{"EdDSA", "ES256", "RS256"} })

	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: good}), "", OutcomeOK)
	f.clock.Advance(time.Minute)
	for _, k := range []signingKey{short, encKey, weakRSA, p384, offCurve} {
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: k, alg: jwa.SignatureAlgorithm(k.pub.Algorithm().String())}), warden.EUNAUTHENTICATED, OutcomeUnknownKey)
	}

	// A response with no usable key never replaces a working set.
	for _, body := range []string{`{"keys":[]}`, `{"keys":[{"kty":"oct","kid":"good","k":"c2VjcmV0"}]}`, `not json`, `{"keys":"x"}`} {
		srv.setBody([]byte(body))
		if _, err := f.v.fetch(context.Background()); err == nil {
			t.Errorf("fetch of %s: got no error", body)
		}
		f.v.refresh(context.Background(), false, func(*keySet) bool { return true })
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: good}), "", OutcomeOK)
	}

	t.Run("oversized JWKS", func(t *testing.T) {
		srv.setBody(append([]byte(`{"keys":[],"pad":"`), make([]byte, 2<<20)...))
		if _, err := f.v.fetch(context.Background()); err == nil {
			t.Error("got no error")
		}
	})
}

func TestBackgroundRefresh(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	ctx, cancel := context.WithCancel(t.Context())
	_, err := NewVerifier(ctx, Config{
		JWKSURL: srv.URL, Issuer: testIssuerURL, Audience: testAudience,
		RefreshInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.fetches.Load() >= 3 })
	cancel()
	time.Sleep(50 * time.Millisecond) // let an in-flight fetch finish
	stopped := srv.fetches.Load()
	time.Sleep(100 * time.Millisecond)
	if got := srv.fetches.Load(); got != stopped {
		t.Errorf("fetches after cancel: got %d, want %d", got, stopped)
	}
}

func TestBackgroundRetriesUntilFirstLoad(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	srv.setDown(true)
	v, err := NewVerifier(t.Context(), Config{
		JWKSURL: srv.URL, Issuer: testIssuerURL, Audience: testAudience,
		RefreshCooldown: 20 * time.Millisecond, RefreshInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.setDown(false)
	waitFor(t, func() bool { return v.keys.Load() != nil })
	if err := v.Ready(t.Context()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func assertFetches(t *testing.T, srv *jwksServer, want int32) {
	t.Helper()
	if got := srv.fetches.Load(); got != want {
		t.Errorf("JWKS fetches: got %d, want %d", got, want)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// weakRSAKey is a 1024-bit RSA key, below what the verifier accepts.
func weakRSAKey(t *testing.T, kid string) signingKey {
	t.Helper()
	s, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(&s.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, k, jwk.KeyIDKey, kid)
	mustSet(t, k, jwk.AlgorithmKey, jwa.RS256)
	return signingKey{alg: jwa.RS256, kid: kid, priv: s, pub: k}
}
