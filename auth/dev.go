package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// DevIssuer signs development tokens the way Better Auth's jwt plugin does:
// EdDSA, header {alg, kid}, iss/aud/iat/exp claims. It backs `warden dev`,
// `warden token` and tests; it is never part of a production deployment.
type DevIssuer struct {
	issuer   string
	audience string
	key      jwk.Key // Ed25519 private key with kid and alg set
	jwks     []byte  // the public JWKS document, encoded once
}

// LoadOrCreateDevIssuer loads the Ed25519 private JWK stored at keyPath, or
// generates one and stores it there (mode 0600, parent directory 0700). The kid
// is the key's RFC 7638 thumbprint, so it stays the same across restarts and
// tokens minted by `warden token` verify against a later `warden dev`.
func LoadOrCreateDevIssuer(keyPath, issuer, audience string) (*DevIssuer, error) {
	if keyPath == "" || issuer == "" || audience == "" {
		return nil, errors.New("dev issuer: key path, issuer and audience are required")
	}
	key, err := loadDevKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createDevKey(keyPath)
	}
	if err != nil {
		return nil, err
	}
	if err := setDevKeyIDs(key); err != nil {
		return nil, err
	}

	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("dev issuer: public key: %w", err)
	}
	jwks, err := json.Marshal(map[string]any{"keys": []jwk.Key{pub}})
	if err != nil {
		return nil, fmt.Errorf("dev issuer: encode jwks: %w", err)
	}
	return &DevIssuer{issuer: issuer, audience: audience, key: key, jwks: jwks}, nil
}

// Issuer returns the iss claim of minted tokens.
func (d *DevIssuer) Issuer() string { return d.issuer }

// Audience returns the aud claim of minted tokens.
func (d *DevIssuer) Audience() string { return d.audience }

// KeyID returns the kid of the signing key.
func (d *DevIssuer) KeyID() string { return d.key.KeyID() }

// JWKSHandler serves the public JWKS ({"keys":[{kty, crv, x, kid, alg}]}).
func (d *DevIssuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			_, _ = w.Write(d.jwks)
		}
	})
}

// Mint signs claims as an EdDSA JWT. claims must hold a non-empty string "sub";
// iss, aud, iat and exp (now+ttl) are added unless claims already has them.
func (d *DevIssuer) Mint(claims map[string]any, ttl time.Duration) (string, error) {
	if sub, _ := claims["sub"].(string); sub == "" {
		return "", errors.New("mint: claims need a non-empty string sub")
	}
	c := maps.Clone(claims)
	now := time.Now()
	setDefault(c, "iss", d.issuer)
	setDefault(c, "aud", d.audience)
	setDefault(c, "iat", now.Unix())
	if _, ok := c["exp"]; !ok {
		if ttl <= 0 {
			return "", errors.New("mint: ttl must be positive")
		}
		c["exp"] = now.Add(ttl).Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mint: encode claims: %w", err)
	}
	// jws.Sign, unlike jwt.Sign, adds no "typ": the header stays {alg, kid} as
	// Better Auth's is.
	tok, err := jws.Sign(payload, jws.WithKey(jwa.EdDSA, d.key))
	if err != nil {
		return "", fmt.Errorf("mint: sign: %w", err)
	}
	return string(tok), nil
}

func setDefault(c map[string]any, name string, v any) {
	if _, ok := c[name]; !ok {
		c[name] = v
	}
}

func loadDevKey(path string) (jwk.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: read key: %w", err)
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: key file %s is not a JWK", path)
	}
	okp, ok := key.(jwk.OKPPrivateKey)
	if !ok || okp.Crv() != jwa.Ed25519 {
		return nil, fmt.Errorf("dev issuer: key file %s does not hold an Ed25519 private key", path)
	}
	return key, nil
}

// createDevKey writes a new key through a hard link so that the file appears
// complete or not at all, and a concurrent `warden token` that wins the race
// has its key kept rather than overwritten.
func createDevKey(path string) (jwk.Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: generate key: %w", err)
	}
	key, err := jwk.FromRaw(priv)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: generate key: %w", err)
	}
	if err := setDevKeyIDs(key); err != nil {
		return nil, err
	}
	b, err := json.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: encode key: %w", err)
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev issuer: create key directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".devkey-*") // created 0600
	if err != nil {
		return nil, fmt.Errorf("dev issuer: write key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("dev issuer: write key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("dev issuer: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("dev issuer: write key: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadDevKey(path)
		}
		return nil, fmt.Errorf("dev issuer: write key: %w", err)
	}
	return key, nil
}

// setDevKeyIDs sets kid to the RFC 7638 thumbprint whatever the file says, so
// the kid depends on the key alone.
func setDevKeyIDs(key jwk.Key) error {
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("dev issuer: key thumbprint: %w", err)
	}
	if err := key.Set(jwk.KeyIDKey, base64.RawURLEncoding.EncodeToString(tp)); err != nil {
		return fmt.Errorf("dev issuer: set kid: %w", err)
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA); err != nil {
		return fmt.Errorf("dev issuer: set alg: %w", err)
	}
	return nil
}
