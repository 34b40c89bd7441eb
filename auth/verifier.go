package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/warden-authz/warden"
)

// MaxTokenSize bounds the bearer token accepted by Verify. Better Auth tokens
// carry the user row and are well under 2 KiB; anything near this size is abuse.
const MaxTokenSize = 16 << 10

// DefaultAlgorithms is the allowlist used when Config.Algorithms is empty: the
// algorithms Better Auth's jwt plugin can sign with, comma-separated.
const DefaultAlgorithms = "EdDSA,ES256,ES512,RS256,PS256"

const (
	defaultClaimTenant      = "org_id"
	defaultClaimTenantRole  = "org_role"
	defaultClaimRole        = "role"
	defaultClaimPermissions = "permissions"
	defaultRefreshCooldown  = 30 * time.Second
	defaultRefreshInterval  = 15 * time.Minute
	defaultHTTPTimeout      = 10 * time.Second
)

// Outcome labels passed to Config.OnVerify, one per Verify call.
const (
	OutcomeOK              = "ok"
	OutcomeMalformed       = "malformed"
	OutcomeExpired         = "expired"
	OutcomeNotYetValid     = "not_yet_valid"
	OutcomeBadSignature    = "bad_signature"
	OutcomeUnknownKey      = "unknown_key"
	OutcomeBadIssuer       = "bad_issuer"
	OutcomeBadAudience     = "bad_audience"
	OutcomeBadAlgorithm    = "bad_algorithm"
	OutcomeForbiddenHeader = "forbidden_header"
	OutcomeBadClaims       = "bad_claims"
	OutcomeUnavailable     = "unavailable"
)

// Config configures a Verifier. JWKSURL, Issuer and Audience are required; every
// other zero value takes the default named on its field.
type Config struct {
	JWKSURL  string
	Issuer   string // exact "iss" required
	Audience string // must be one of the "aud" values

	// Algorithms is the allowlist of token "alg" values (default DefaultAlgorithms).
	// "none" and HMAC algorithms are refused here: a public JWKS cannot key them.
	Algorithms []string
	Leeway     time.Duration // clock skew allowed on exp, nbf and iat (zero means none)

	ClaimTenant      string // default "org_id"
	ClaimTenantRole  string // default "org_role"
	ClaimRole        string // default "role"
	ClaimPermissions string // default "permissions"

	// RefreshCooldown is the minimum time between JWKS fetches triggered by a token
	// whose kid is unknown (default 30s).
	RefreshCooldown time.Duration
	// RefreshInterval is how often the key set is refetched in the background
	// (default 15m). Until a first key set loads, the background retries every
	// RefreshCooldown instead.
	RefreshInterval time.Duration

	HTTPClient *http.Client     // default: a client with a 10s timeout
	Now        func() time.Time // default time.Now

	OnVerify  func(outcome string) // once per Verify with an Outcome* label; may be nil
	OnRefresh func(err error)      // after each JWKS fetch, nil on success; may be nil
}

// Verifier checks bearer tokens against the issuer's JWKS. It is safe for
// concurrent use; create one per process.
type Verifier struct {
	jwksURL      string
	client       *http.Client
	now          func() time.Time
	cooldown     time.Duration
	interval     time.Duration
	claims       claimNames
	verifiers    map[jwa.SignatureAlgorithm]jws.Verifier // the allowlist, one verifier each
	validateOpts []jwt.ValidateOption
	onVerify     func(string)
	onRefresh    func(error)

	keys        atomic.Pointer[keySet] // last good key set; nil until one loads
	fetchFailed atomic.Bool            // the latest fetch attempt failed

	// fetchSlot admits one fetch at a time; lastMissFetch is guarded by it.
	fetchSlot     chan struct{}
	lastMissFetch time.Time
}

// NewVerifier validates cfg, loads the key set once and starts the background
// refresh, which runs until ctx is done. An unreachable JWKS is not an error here:
// Ready reports it and Verify answers EUNAVAILABLE until keys load. NewVerifier
// fails only on an invalid configuration.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := checkJWKSURL(cfg.JWKSURL); err != nil {
		return nil, err
	}
	if cfg.Issuer == "" {
		return nil, errors.New("auth: issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: audience is required")
	}
	if cfg.Leeway < 0 || cfg.RefreshCooldown < 0 || cfg.RefreshInterval < 0 {
		return nil, errors.New("auth: leeway, refresh cooldown and refresh interval must not be negative")
	}

	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = strings.Split(DefaultAlgorithms, ",")
	}
	verifiers := make(map[jwa.SignatureAlgorithm]jws.Verifier, len(algs))
	for _, name := range algs {
		alg := jwa.SignatureAlgorithm(strings.TrimSpace(name))
		if !supportedAlgorithm(alg) {
			return nil, fmt.Errorf("auth: algorithm %q is not allowed (want some of EdDSA, ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512)", name)
		}
		jv, err := jws.NewVerifier(alg)
		if err != nil {
			return nil, fmt.Errorf("auth: algorithm %q: %w", name, err)
		}
		verifiers[alg] = jv
	}

	v := &Verifier{
		jwksURL:   cfg.JWKSURL,
		client:    cfg.HTTPClient,
		now:       cfg.Now,
		cooldown:  orDefault(cfg.RefreshCooldown, defaultRefreshCooldown),
		interval:  orDefault(cfg.RefreshInterval, defaultRefreshInterval),
		verifiers: verifiers,
		claims: claimNames{
			tenant:      orDefault(cfg.ClaimTenant, defaultClaimTenant),
			tenantRole:  orDefault(cfg.ClaimTenantRole, defaultClaimTenantRole),
			role:        orDefault(cfg.ClaimRole, defaultClaimRole),
			permissions: orDefault(cfg.ClaimPermissions, defaultClaimPermissions),
		},
		onVerify:  cfg.OnVerify,
		onRefresh: cfg.OnRefresh,
		fetchSlot: make(chan struct{}, 1),
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.validateOpts = []jwt.ValidateOption{
		jwt.WithClock(jwt.ClockFunc(v.now)),
		jwt.WithAcceptableSkew(cfg.Leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithValidator(jwt.ValidatorFunc(expNotEpoch)),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
	}

	v.refresh(ctx, false, func(*keySet) bool { return true })
	go v.refreshLoop(ctx)
	return v, nil
}

// Ready returns nil once a key set has loaded, and an EUNAVAILABLE error before.
// While no keys are loaded it retries the fetch, at most once per cooldown.
func (v *Verifier) Ready(ctx context.Context) error {
	if v.keys.Load() != nil {
		return nil
	}
	if v.refresh(ctx, true, func(ks *keySet) bool { return ks == nil }) != nil {
		return nil
	}
	return warden.Errorf(warden.EUNAVAILABLE, "token signing keys are not loaded")
}

// Verify checks token (the bearer value, without "Bearer ") and returns the
// subject it proves. Errors are EUNAUTHENTICATED with a client-safe message, or
// EUNAVAILABLE when the keys needed cannot be fetched.
func (v *Verifier) Verify(ctx context.Context, token string) (*warden.Subject, error) {
	s, outcome, err := v.verify(ctx, token)
	if v.onVerify != nil {
		v.onVerify(outcome)
	}
	return s, err
}

func (v *Verifier) verify(ctx context.Context, token string) (*warden.Subject, string, error) {
	if token == "" {
		return nil, OutcomeMalformed, unauthenticated("missing token")
	}
	if len(token) > MaxTokenSize {
		return nil, OutcomeMalformed, unauthenticated("token too large")
	}
	// Compact serialization only: the JSON serializations allow unprotected headers
	// and several signatures, neither of which a Better Auth token has.
	if strings.Count(token, ".") != 2 {
		return nil, OutcomeMalformed, unauthenticated("malformed token")
	}
	rawHeader, _, _ := strings.Cut(token, ".")
	if outcome, err := checkHeaderNames(rawHeader); err != nil {
		return nil, outcome, err
	}
	msg, err := jws.Parse([]byte(token), jws.WithCompact())
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, OutcomeMalformed, unauthenticated("malformed token")
	}
	sig := msg.Signatures()[0]
	hdr := sig.ProtectedHeaders()

	alg := hdr.Algorithm()
	jv, ok := v.verifiers[alg]
	if !ok {
		return nil, OutcomeBadAlgorithm, unauthenticated("token algorithm not allowed")
	}
	kid := hdr.KeyID()
	if kid == "" {
		return nil, OutcomeUnknownKey, unauthenticated("token has no key id")
	}

	keys, outcome, err := v.keysFor(ctx, kid)
	if err != nil {
		return nil, outcome, err
	}
	signingInput := []byte(token[:strings.LastIndexByte(token, '.')])
	matched, verified := false, false
	for _, k := range keys {
		if !k.allows(alg) {
			continue
		}
		matched = true
		if jv.Verify(signingInput, sig.Signature(), k.raw) == nil {
			verified = true
			break
		}
	}
	if !matched {
		return nil, OutcomeBadAlgorithm, unauthenticated("token algorithm does not match its key")
	}
	if !verified {
		return nil, OutcomeBadSignature, unauthenticated("invalid token signature")
	}

	// Unmarshal straight into a token instead of jwt.Parse: jwt.Parse would unwrap a
	// payload that itself looks like a JWS without verifying it.
	tok := jwt.New()
	if err := json.Unmarshal(msg.Payload(), tok); err != nil {
		return nil, OutcomeBadClaims, unauthenticated("invalid token claims")
	}
	if err := jwt.Validate(tok, v.validateOpts...); err != nil {
		outcome, text := validationFailure(err)
		return nil, outcome, unauthenticated("%s", text)
	}
	s, err := v.claims.subject(tok)
	if err != nil {
		return nil, OutcomeBadClaims, err
	}
	return s, OutcomeOK, nil
}

// keysFor returns the keys published under kid, refetching the JWKS when kid is
// unknown (at most once per cooldown).
func (v *Verifier) keysFor(ctx context.Context, kid string) ([]verifyKey, string, error) {
	ks := v.keys.Load()
	if keys := ks.lookup(kid); len(keys) > 0 {
		return keys, "", nil
	}
	ks = v.refresh(ctx, true, func(ks *keySet) bool { return len(ks.lookup(kid)) == 0 })
	if keys := ks.lookup(kid); len(keys) > 0 {
		return keys, "", nil
	}
	// Without any key set, or when the last fetch failed, the key may well exist
	// at the issuer: that is an outage (503), not a bad token.
	if ks == nil || v.fetchFailed.Load() {
		return nil, OutcomeUnavailable, warden.Errorf(warden.EUNAVAILABLE, "token signing keys are unavailable")
	}
	return nil, OutcomeUnknownKey, unauthenticated("unknown token signing key")
}

// checkHeaderNames looks at the raw protected header before jwx parses it, so an
// embedded key is never even decoded, and a present-but-null field still counts.
// crit names extensions this verifier does not implement; jwk, jku, x5u and x5c
// would let the token choose its own key; b64 changes what is signed (RFC 7797).
func checkHeaderNames(raw string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return OutcomeMalformed, unauthenticated("malformed token")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return OutcomeMalformed, unauthenticated("malformed token")
	}
	for _, name := range [...]string{"crit", "jwk", "jku", "x5u", "x5c", "b64"} {
		if _, ok := fields[name]; ok {
			return OutcomeForbiddenHeader, unauthenticated("token header %q not allowed", name)
		}
	}
	return "", nil
}

// expNotEpoch closes a gap in jwx: it skips the expiry check when exp is 0, so
// {"exp":0} would pass both the required-claim and the expiry checks.
func expNotEpoch(_ context.Context, t jwt.Token) jwt.ValidationError {
	if exp := t.Expiration(); !exp.IsZero() && exp.Unix() == 0 {
		return jwt.ErrTokenExpired()
	}
	return nil
}

func validationFailure(err error) (outcome, msg string) {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired()):
		return OutcomeExpired, "token expired"
	case errors.Is(err, jwt.ErrTokenNotYetValid()):
		return OutcomeNotYetValid, "token not yet valid"
	case errors.Is(err, jwt.ErrInvalidIssuedAt()):
		return OutcomeNotYetValid, "token issued in the future"
	case errors.Is(err, jwt.ErrInvalidIssuer()):
		return OutcomeBadIssuer, "token issuer mismatch"
	case errors.Is(err, jwt.ErrInvalidAudience()):
		return OutcomeBadAudience, "token audience mismatch"
	case errors.Is(err, jwt.ErrRequiredClaim()):
		return OutcomeBadClaims, "token has no expiry"
	}
	return OutcomeBadClaims, "invalid token claims"
}

func unauthenticated(format string, args ...any) error {
	return warden.Errorf(warden.EUNAUTHENTICATED, format, args...)
}

func supportedAlgorithm(alg jwa.SignatureAlgorithm) bool {
	switch alg {
	case jwa.EdDSA, jwa.ES256, jwa.ES384, jwa.ES512,
		jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
		return true
	}
	return false
}

func checkJWKSURL(s string) error {
	if s == "" {
		return errors.New("auth: JWKS URL is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("auth: JWKS URL %q must be an absolute http(s) URL", s)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
