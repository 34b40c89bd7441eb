package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-authz/warden/api"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusOK, "GET", "/healthz", "", nil)
	var ready map[string]any
	e.must(http.StatusOK, "GET", "/readyz", "", nil).json(t, &ready)
	if rev, _ := ready["policy_revision"].(string); len(rev) < 8 {
		t.Errorf("readyz = %v, want a policy revision", ready)
	}
	e.db.Close()
	r := e.must(http.StatusServiceUnavailable, "GET", "/readyz", "", nil)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
}

func TestMetricsExposeRequestsDecisionsAndTokens(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "x"})
	e.must(http.StatusOK, "GET", "/api/tasks/"+itoa(tk.ID), alice, nil)
	e.must(http.StatusUnauthorized, "GET", "/api/me", "bad.token.here", nil)
	body := string(e.must(http.StatusOK, "GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`warden_http_requests_total{method="GET",route="/api/tasks/:id",status="200"} 1`,
		`warden_authz_decisions_total{action="tasks:read",result="allow"}`,
		`warden_jwt_verifications_total{outcome="ok"}`,
		`warden_jwt_verifications_total{outcome="malformed"}`,
		`warden_jwks_refreshes_total{result="ok"}`,
		`warden_http_request_duration_seconds_bucket`,
		`warden_authz_eval_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestDBStatsCollector(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(api.NewDBStatsCollector(e.db.Stats))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 5 {
		t.Errorf("gathered %d metric families, want 5", len(mfs))
	}
}

func TestAccessLogIsStructuredAndHidesTokens(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	r := e.must(http.StatusOK, "GET", "/api/tasks?search=x", alice, nil)
	timing := r.header.Get("Server-Timing")
	for _, part := range []string{"jwt;dur=", "authz;dur=", "db;dur="} {
		if !strings.Contains(timing, part) {
			t.Errorf("Server-Timing = %q, want %s", timing, part)
		}
	}
	logs := e.logs.String()
	if strings.Contains(logs, alice) || strings.Contains(logs, strings.Split(alice, ".")[2]) {
		t.Fatalf("logs contain the token")
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["msg"] == "request" && m["route"] == "/api/tasks" {
			found = true
			if m["request_id"] != r.header.Get("X-Request-Id") || m["subject"] != "alice" || m["status"] != float64(200) || m["duration_ms"] == nil {
				t.Errorf("access line = %v", m)
			}
		}
	}
	if !found {
		t.Errorf("no access line for /api/tasks in %s", logs)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestJWKSUnreachableAnswers503(t *testing.T) {
	e := newEnv(t, envOptions{jwksDown: true})
	tok := e.member("alice", "acme", "member")
	r := e.must(http.StatusServiceUnavailable, "GET", "/api/me", tok, nil)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	// A token that is bad on its face is still a 401, keys or not.
	e.must(http.StatusUnauthorized, "GET", "/api/me", "not.a.jwt", nil)
	e.must(http.StatusServiceUnavailable, "GET", "/readyz", "", nil)
}
