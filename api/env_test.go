package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-authz/warden/api"
	"github.com/warden-authz/warden/auth"
	"github.com/warden-authz/warden/policies"
	"github.com/warden-authz/warden/repo"
	"github.com/warden-authz/warden/repo/pgtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	pgtest.Main(m)
}

const (
	testIssuer   = "https://auth.test"
	testAudience = "warden-test"
)

// env is a whole Warden over real HTTP: a fresh PostgreSQL database, the embedded
// policy (or one from a directory), a development issuer serving its JWKS.
type env struct {
	t       testing.TB
	keyPath string // the issuer's private key file
	srv     *httptest.Server
	issuer  *auth.DevIssuer
	db      *repo.DB
	reg     *prometheus.Registry
	logs    *syncBuffer
}

type envOptions struct {
	policyDir       string
	jwksDown        bool          // the issuer's JWKS endpoint never answers
	refreshCooldown time.Duration // between JWKS fetches on unknown kids; 0: the default
}

func newEnv(t testing.TB, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := repo.Open(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keyPath := filepath.Join(t.TempDir(), "key.jwk")
	issuer, err := auth.LoadOrCreateDevIssuer(keyPath, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(issuer.JWKSHandler())
	t.Cleanup(jwks.Close)
	if o.jwksDown {
		jwks.Close()
	}
	reg := prometheus.NewRegistry()
	metrics := api.NewMetrics(reg)
	engine, err := policies.New(ctx, policies.Options{Dir: o.policyDir, OnDecision: metrics.ObserveDecision})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(ctx, auth.Config{
		JWKSURL: jwks.URL, Issuer: testIssuer, Audience: testAudience,
		Algorithms: []string{"EdDSA"}, Leeway: 30 * time.Second,
		ClaimTenant: "org_id", ClaimTenantRole: "org_role", ClaimRole: "role", ClaimPermissions: "permissions",
		RefreshCooldown: o.refreshCooldown,
		OnVerify:        metrics.ObserveJWT, OnRefresh: metrics.ObserveJWKSRefresh,
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s, err := api.NewServer(api.Deps{
		Auth: verifier, Authz: engine, Tasks: repo.NewTaskStore(db), Posts: repo.NewPostStore(db),
		Reports: repo.NewReportStore(db), Users: repo.NewUserStore(db), DB: db,
		Logger: newTestLogger(logs), Registry: reg, Metrics: metrics, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, keyPath: keyPath, srv: srv, issuer: issuer, db: db, reg: reg, logs: logs}
}

// token mints a token for claims; "sub" is required.
func (e *env) token(claims map[string]any) string {
	e.t.Helper()
	tok, err := e.issuer.Mint(claims, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// member returns a token for sub holding roles in tenant.
func (e *env) member(sub, tenant, roles string) string {
	return e.token(map[string]any{"sub": sub, "name": strings.ToUpper(sub[:1]) + sub[1:], "email": sub + "@example.test",
		"org_id": tenant, "org_role": roles})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, r.body)
	}
	var p map[string]any
	r.json(t, &p)
	return p
}

// do sends a request; body may be nil, a string (sent as is) or a value (sent as JSON).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	// Every response of every API test must match the OpenAPI document.
	checkResponse(e.t, method, path, resp.StatusCode, resp.Header, raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, token string, body any) response {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: got %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}
