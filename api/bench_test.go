package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// The end-to-end benchmarks serve real HTTP from a real PostgreSQL with the
// embedded policy. Each reports the Server-Timing split, so one run gives the
// ratio of JWT, policy and database time to the whole request.

func benchRequests(b *testing.B, e *env, method, path, token string) {
	b.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	client := e.srv.Client()
	var jwt, authz, db float64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		var j, a, d float64
		fmt.Sscanf(resp.Header.Get("Server-Timing"), "jwt;dur=%f, authz;dur=%f, db;dur=%f", &j, &a, &d)
		jwt, authz, db = jwt+j, authz+a, db+d
	}
	n := float64(b.N)
	b.ReportMetric(jwt*1000/n, "jwt-µs/op")
	b.ReportMetric(authz*1000/n, "authz-µs/op")
	b.ReportMetric(db*1000/n, "db-µs/op")
}

func BenchmarkTaskGet(b *testing.B) {
	e := newEnv(b)
	alice := e.member("alice", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "bench"})
	benchRequests(b, e, "GET", fmt.Sprintf("/api/tasks/%d", tk.ID), alice)
}

func BenchmarkTaskList(b *testing.B) {
	e := newEnv(b)
	alice := e.member("alice", "acme", "member")
	items := make([]map[string]any, 100)
	for i := range items {
		items[i] = map[string]any{"title": fmt.Sprintf("task %d", i)}
	}
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", alice, items)
	benchRequests(b, e, "GET", "/api/tasks?limit=20", alice)
}

func BenchmarkPublic(b *testing.B) {
	e := newEnv(b)
	benchRequests(b, e, "GET", "/api/public", e.member("alice", "acme", "member"))
}
