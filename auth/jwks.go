package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

const (
	maxJWKSSize   = 1 << 20
	fetchTimeout  = 10 * time.Second
	minRSAKeyBits = 2048
)

// keySet is an immutable snapshot of the usable keys of one JWKS fetch.
type keySet struct {
	byKID map[string][]verifyKey
}

func (ks *keySet) lookup(kid string) []verifyKey {
	if ks == nil {
		return nil
	}
	return ks.byKID[kid]
}

// verifyKey is a public key converted once to its crypto/* form, with the
// algorithms it may verify (its "alg" if the JWKS names one, else those its type
// and curve imply), already narrowed to the allowlist.
type verifyKey struct {
	raw  any
	algs []jwa.SignatureAlgorithm
}

func (k verifyKey) allows(alg jwa.SignatureAlgorithm) bool {
	return slices.Contains(k.algs, alg)
}

// refresh fetches the JWKS unless need reports that the current set no longer
// needs it (another caller refreshed while this one waited). A miss refresh is
// one triggered by a token: those are rate-limited to one per cooldown so a
// stream of made-up kids cannot hammer the issuer. It returns the current set,
// which stays the last good one when the fetch fails.
func (v *Verifier) refresh(ctx context.Context, miss bool, need func(*keySet) bool) *keySet {
	select {
	case v.fetchSlot <- struct{}{}:
	case <-ctx.Done():
		return v.keys.Load()
	}
	defer func() { <-v.fetchSlot }()

	ks := v.keys.Load()
	if !need(ks) {
		return ks
	}
	if miss {
		now := v.now()
		if since := now.Sub(v.lastMissFetch); !v.lastMissFetch.IsZero() && since >= 0 && since < v.cooldown {
			return ks
		}
		v.lastMissFetch = now
	}

	// The fetch outlives a cancelled request: it serves every caller, and an
	// aborted fetch would otherwise burn the cooldown.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	fresh, err := v.fetch(fctx)
	if v.onRefresh != nil {
		v.onRefresh(err)
	}
	if err != nil {
		v.fetchFailed.Store(true)
		return ks
	}
	v.fetchFailed.Store(false)
	v.keys.Store(fresh)
	return fresh
}

// refreshLoop refetches the key set every interval until ctx is done; keys
// removed at the issuer stop verifying within one interval.
func (v *Verifier) refreshLoop(ctx context.Context) {
	for {
		wait := v.interval
		if v.keys.Load() == nil {
			wait = v.cooldown
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		v.refresh(ctx, false, func(*keySet) bool { return true })
	}
}

func (v *Verifier) fetch(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: read body: %w", err)
	}
	if len(body) > maxJWKSSize {
		return nil, fmt.Errorf("fetch jwks: body over %d bytes", maxJWKSSize)
	}
	// One key of a type jwx cannot parse must not take the others down with it.
	set, err := jwk.Parse(body, jwk.WithIgnoreParseError(true))
	if err != nil {
		return nil, errors.New("fetch jwks: body is not a JWK set")
	}
	return v.buildKeySet(set)
}

// buildKeySet keeps the keys that can verify some allowed algorithm. A set with
// none is an error, so a broken response never replaces a working key set.
func (v *Verifier) buildKeySet(set jwk.Set) (*keySet, error) {
	ks := &keySet{byKID: map[string][]verifyKey{}}
	for i := range set.Len() {
		key, _ := set.Key(i)
		kid := key.KeyID()
		if kid == "" || key.KeyType() == jwa.OctetSeq {
			continue
		}
		if use := key.KeyUsage(); use != "" && use != jwk.ForSignature.String() {
			continue
		}
		pub, err := jwk.PublicKeyOf(key)
		if err != nil {
			continue
		}
		var raw any
		if err := pub.Raw(&raw); err != nil {
			continue
		}
		raw, algs := keyAlgorithms(raw)
		if declared := key.Algorithm().String(); declared != "" {
			algs = slices.DeleteFunc(algs, func(a jwa.SignatureAlgorithm) bool { return string(a) != declared })
		}
		algs = slices.DeleteFunc(algs, func(a jwa.SignatureAlgorithm) bool { _, ok := v.verifiers[a]; return !ok })
		if len(algs) == 0 {
			continue
		}
		ks.byKID[kid] = append(ks.byKID[kid], verifyKey{raw: raw, algs: algs})
	}
	if len(ks.byKID) == 0 {
		return nil, errors.New("fetch jwks: no usable signing keys")
	}
	return ks, nil
}

// keyAlgorithms validates a public key and returns it in the form the jws
// verifiers take, with the algorithms it implies. A malformed key yields none:
// ed25519.Verify panics on a key of the wrong length, and an EC point off its
// curve must never reach a verifier.
func keyAlgorithms(raw any) (any, []jwa.SignatureAlgorithm) {
	switch k := raw.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, nil
		}
		return k, []jwa.SignatureAlgorithm{jwa.EdDSA}
	case ecdsa.PublicKey:
		return keyAlgorithms(&k)
	case *ecdsa.PublicKey:
		if _, err := k.ECDH(); err != nil {
			return nil, nil
		}
		switch k.Curve {
		case elliptic.P256():
			return k, []jwa.SignatureAlgorithm{jwa.ES256}
		case elliptic.P384():
			return k, []jwa.SignatureAlgorithm{jwa.ES384}
		case elliptic.P521():
			return k, []jwa.SignatureAlgorithm{jwa.ES512}
		}
	case rsa.PublicKey:
		return keyAlgorithms(&k)
	case *rsa.PublicKey:
		if k.N == nil || k.N.BitLen() < minRSAKeyBits {
			return nil, nil
		}
		return k, []jwa.SignatureAlgorithm{jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512}
	}
	return nil, nil
}
