package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/warden-authz/warden"
)

// TestAdversarialJWKSBadResponsesKeepLastGoodSet: after a good load, a JWKS
// answering 500, garbage, an empty set or only unusable keys never replaces
// the working set.
func TestAdversarialJWKSBadResponsesKeepLastGoodSet(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	hmacOnly := []byte(`{"keys":[{"kty":"oct","kid":"key-a","k":"c2VjcmV0"}]}`)
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, func(c *Config) { c.Algorithms = []string{"EdDSA"} })
	good := makeToken(t, f.clock.Now(), tokenSpec{key: a})
	for _, bad := range [][]byte{nil, []byte("<html>oops</html>"), []byte(`{"keys":[]}`), hmacOnly, []byte(`{"keys":"x"}`)} {
		if bad == nil {
			srv.setDown(true)
		} else {
			srv.setDown(false)
			srv.setBody(bad)
		}
		// A stranger kid forces a fetch of the bad body.
		f.clock.Advance(31 * time.Second)
		stranger := newSigningKey(t, jwa.EdDSA, "stranger")
		_, _ = f.v.Verify(context.Background(), makeToken(t, f.clock.Now(), tokenSpec{key: stranger}))
		f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
		f.verifyOutcome(t, good, "", OutcomeOK)
	}
}

// TestAdversarialJWKSSlowFetchIsBounded: a JWKS that never answers holds a
// request with an unknown kid no longer than the HTTP client's timeout (twice
// when a background refresh is already waiting), and never holds a request
// whose kid is known.
func TestAdversarialJWKSSlowFetchIsBounded(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	b := newSigningKey(t, jwa.EdDSA, "key-b")
	var hang atomic.Bool
	release := make(chan struct{})
	var fetches atomic.Int32
	body := newJWKSServer(t, a) // only for its body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		body.mu.Lock()
		raw := body.body
		body.mu.Unlock()
		_, _ = w.Write(raw)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	const timeout = 300 * time.Millisecond
	f := newFixture(t, srv.URL, func(c *Config) {
		c.HTTPClient = &http.Client{Timeout: timeout}
		c.RefreshInterval = 50 * time.Millisecond
	})
	hang.Store(true)
	body.setKeys(t, a, b)

	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			key := a
			if i%2 == 0 {
				key = b
			}
			start := time.Now()
			_, err := f.v.Verify(context.Background(), makeToken(t, f.clock.Now(), tokenSpec{key: key}))
			d := time.Since(start)
			if key.kid == "key-a" {
				if err != nil || d > 100*time.Millisecond {
					t.Errorf("known kid during a hanging JWKS: %v after %v", err, d)
				}
				return
			}
			if warden.ErrorCode(err) != warden.EUNAVAILABLE {
				t.Errorf("unknown kid during a hanging JWKS: %v, want EUNAVAILABLE", err)
			}
			if d > 3*timeout {
				t.Errorf("unknown kid during a hanging JWKS took %v (client timeout %v)", d, timeout)
			}
		})
	}
	wg.Wait()
}

// TestAdversarialJWKSFlippingKeys: an issuer that publishes a different single
// key on every fetch costs at most one miss fetch per cooldown, and each token
// verifies only while its key is the one loaded.
func TestAdversarialJWKSFlippingKeys(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	b := newSigningKey(t, jwa.EdDSA, "key-b")
	var n atomic.Int32
	srv := newJWKSServer(t, a)
	flip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			srv.setKeys(t, b)
		} else {
			srv.setKeys(t, a)
		}
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(flip.Close)
	f := newFixture(t, flip.URL, nil)
	for i := range 20 {
		f.clock.Advance(2 * time.Second)
		for _, k := range []signingKey{a, b} {
			_, err := f.v.Verify(context.Background(), makeToken(t, f.clock.Now(), tokenSpec{key: k}))
			if err != nil && warden.ErrorCode(err) != warden.EUNAUTHENTICATED {
				t.Errorf("round %d %s: %v", i, k.kid, err)
			}
		}
	}
	// 40s of clock: the start-up load plus at most two miss fetches.
	if got := n.Load(); got > 3 {
		t.Errorf("flipping JWKS fetched %d times in 40s with a 30s cooldown", got)
	}
}

// TestAdversarialRandomKidsDoNotFetchPerRequest: a flood of tokens with made-up
// kids, in parallel, costs one fetch per cooldown.
func TestAdversarialRandomKidsDoNotFetchPerRequest(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, nil)
	strangers := make([]string, 200)
	for i := range strangers {
		k := newSigningKey(t, jwa.EdDSA, fmt.Sprintf("kid-%d", i))
		strangers[i] = makeToken(t, f.clock.Now(), tokenSpec{key: k})
	}
	var wg sync.WaitGroup
	for _, tok := range strangers {
		wg.Go(func() {
			if _, err := f.v.Verify(context.Background(), tok); warden.ErrorCode(err) != warden.EUNAUTHENTICATED {
				t.Errorf("stranger kid: %v", err)
			}
		})
	}
	wg.Wait()
	assertFetches(t, srv, 2)
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), "", OutcomeOK)
}

// TestAdversarialAlgorithmAllowlistExcludesKeyType: with only ES256 allowed and
// an EdDSA key at the issuer, an EdDSA token is refused as a bad algorithm
// (401, not an outage), and the unusable key set never counts as loaded.
func TestAdversarialAlgorithmAllowlistExcludesKeyType(t *testing.T) {
	a := newSigningKey(t, jwa.EdDSA, "key-a")
	srv := newJWKSServer(t, a)
	f := newFixture(t, srv.URL, func(c *Config) { c.Algorithms = []string{"ES256"} })
	f.verifyOutcome(t, makeToken(t, f.clock.Now(), tokenSpec{key: a}), warden.EUNAUTHENTICATED, OutcomeBadAlgorithm)
	if err := f.v.Ready(context.Background()); warden.ErrorCode(err) != warden.EUNAVAILABLE {
		t.Errorf("Ready with no usable keys: %v, want EUNAVAILABLE", err)
	}
	// A token claiming ES256 under the EdDSA key's kid must not verify.
	es := newSigningKey(t, jwa.ES256, "key-a")
	_, err := f.v.Verify(context.Background(), makeToken(t, f.clock.Now(), tokenSpec{key: es}))
	if err == nil {
		t.Fatal("ES256 token under an EdDSA kid verified")
	}
}
