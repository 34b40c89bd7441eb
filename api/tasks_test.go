package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

type taskJSON struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Description *string    `json:"description"`
	Completed   bool       `json:"completed"`
	Priority    string     `json:"priority"`
	DueDate     *time.Time `json:"due_date"`
	UserID      string     `json:"user_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (e *env) createTask(token string, body any) taskJSON {
	e.t.Helper()
	var tk taskJSON
	e.must(http.StatusCreated, "POST", "/api/tasks", token, body).json(e.t, &tk)
	return tk
}

func TestTaskCreateAndGet(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	r := e.must(http.StatusCreated, "POST", "/api/tasks", alice, map[string]any{"title": "  Write report  ", "due_date": "2026-12-31T17:00:00+01:00"})
	var tk taskJSON
	r.json(t, &tk)
	if got, want := r.header.Get("Location"), fmt.Sprintf("/api/tasks/%d", tk.ID); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if tk.Title != "Write report" || tk.Priority != "medium" || tk.Completed || tk.Description != nil || tk.UserID != "alice" {
		t.Errorf("created task = %+v, want trimmed title, defaults, owner alice", tk)
	}
	if tk.DueDate == nil || !tk.DueDate.Equal(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("due_date = %v, want 2026-12-31T16:00:00Z", tk.DueDate)
	}
	var got taskJSON
	e.must(http.StatusOK, "GET", fmt.Sprintf("/api/tasks/%d", tk.ID), alice, nil).json(t, &got)
	if got.ID != tk.ID || got.Title != tk.Title {
		t.Errorf("GET = %+v, want %+v", got, tk)
	}
}

func TestTaskValidation(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	tests := []struct {
		name      string
		body      any
		wantCode  int
		wantField string
	}{
		{"malformed json", `{"title": `, http.StatusBadRequest, ""},
		{"empty body", ``, http.StatusBadRequest, ""},
		{"array instead of object", `[1]`, http.StatusUnprocessableEntity, "body"},
		{"missing title", map[string]any{"priority": "low"}, http.StatusUnprocessableEntity, "title"},
		{"blank title", map[string]any{"title": "   "}, http.StatusUnprocessableEntity, "title"},
		{"long title", map[string]any{"title": strings.Repeat("é", 201)}, http.StatusUnprocessableEntity, "title"},
		{"title of 200 runes is fine", map[string]any{"title": strings.Repeat("é", 200)}, http.StatusCreated, ""},
		{"title wrong type", map[string]any{"title": 5}, http.StatusUnprocessableEntity, "title"},
		{"title null", map[string]any{"title": nil}, http.StatusUnprocessableEntity, "title"},
		{"long description", map[string]any{"title": "x", "description": strings.Repeat("a", 10001)}, http.StatusUnprocessableEntity, "description"},
		{"bad priority", map[string]any{"title": "x", "priority": "urgent"}, http.StatusUnprocessableEntity, "priority"},
		{"bad due date", map[string]any{"title": "x", "due_date": "tomorrow"}, http.StatusUnprocessableEntity, "due_date"},
		{"completed wrong type", map[string]any{"title": "x", "completed": "yes"}, http.StatusUnprocessableEntity, "completed"},
		{"unknown field", map[string]any{"title": "x", "colour": "red"}, http.StatusUnprocessableEntity, "colour"},
		{"server-owned id", map[string]any{"title": "x", "id": 7}, http.StatusUnprocessableEntity, "id"},
		{"server-owned user_id", map[string]any{"title": "x", "user_id": "mallory"}, http.StatusUnprocessableEntity, "user_id"},
		{"server-owned tenant_id", map[string]any{"title": "x", "tenant_id": "globex"}, http.StatusUnprocessableEntity, "tenant_id"},
		{"server-owned created_at", map[string]any{"title": "x", "created_at": "2020-01-01T00:00:00Z"}, http.StatusUnprocessableEntity, "created_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/tasks", alice, tt.body)
			if r.status != tt.wantCode {
				t.Fatalf("got %d, want %d; body %s", r.status, tt.wantCode, r.body)
			}
			if r.status < 400 {
				return
			}
			p := r.problem(t)
			if p["detail"] == "" || p["request_id"] != r.header.Get("X-Request-Id") {
				t.Errorf("problem = %v, want detail and request_id %q", p, r.header.Get("X-Request-Id"))
			}
			if tt.wantField == "" {
				return
			}
			errs, _ := p["errors"].([]any)
			found := false
			for _, fe := range errs {
				if fe.(map[string]any)["field"] == tt.wantField {
					found = true
				}
			}
			if !found {
				t.Errorf("errors = %v, want one naming %q", p["errors"], tt.wantField)
			}
		})
	}
	var list []taskJSON
	e.must(http.StatusOK, "GET", "/api/tasks", alice, nil).json(t, &list)
	if len(list) != 1 {
		t.Errorf("tasks after validation failures = %d, want 1 (only the valid one)", len(list))
	}
}

func TestBodyLimitsAndMediaType(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	big := `{"title":"x","description":"` + strings.Repeat("a", 1<<20) + `"}`
	e.must(http.StatusRequestEntityTooLarge, "POST", "/api/tasks", alice, big)

	req, _ := http.NewRequest("POST", e.srv.URL+"/api/tasks", strings.NewReader(`title=x`))
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body: got %d, want 415 or 422", resp.StatusCode)
	}
}

func TestTaskPatchAbsentVersusNull(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "a", "description": "keep me", "due_date": "2027-01-01T00:00:00Z", "priority": "high"})
	path := fmt.Sprintf("/api/tasks/%d", tk.ID)
	time.Sleep(5 * time.Millisecond)

	var got taskJSON
	e.must(http.StatusOK, "PATCH", path, alice, map[string]any{"completed": true}).json(t, &got)
	if !got.Completed || got.Description == nil || *got.Description != "keep me" || got.Priority != "high" || got.DueDate == nil {
		t.Errorf("after PATCH completed = %+v, want only completed changed", got)
	}
	if !got.UpdatedAt.After(tk.UpdatedAt) {
		t.Errorf("updated_at = %v, want after %v", got.UpdatedAt, tk.UpdatedAt)
	}
	if !got.CreatedAt.Equal(tk.CreatedAt) {
		t.Errorf("created_at moved: %v, want %v", got.CreatedAt, tk.CreatedAt)
	}
	e.must(http.StatusOK, "PATCH", path, alice, map[string]any{"description": nil, "due_date": nil}).json(t, &got)
	if got.Description != nil || got.DueDate != nil || got.Title != "a" {
		t.Errorf("after PATCH nulls = %+v, want description and due_date cleared", got)
	}
	e.must(http.StatusUnprocessableEntity, "PATCH", path, alice, map[string]any{"title": nil})
	e.must(http.StatusUnprocessableEntity, "PATCH", path, alice, map[string]any{})
	e.must(http.StatusUnprocessableEntity, "PATCH", path, alice, map[string]any{"user_id": "bob"})
}

func TestTaskPutReplacesAndDeleteRemoves(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "a", "description": "d", "priority": "high", "completed": true})
	path := fmt.Sprintf("/api/tasks/%d", tk.ID)
	var got taskJSON
	e.must(http.StatusOK, "PUT", path, alice, map[string]any{"title": "b"}).json(t, &got)
	if got.Title != "b" || got.Description != nil || got.Priority != "medium" || got.Completed {
		t.Errorf("after PUT = %+v, want title b and defaults", got)
	}
	e.must(http.StatusUnprocessableEntity, "PUT", path, alice, map[string]any{"description": "no title"})
	r := e.must(http.StatusNoContent, "DELETE", path, alice, nil)
	if len(r.body) != 0 {
		t.Errorf("204 body = %q, want empty", r.body)
	}
	e.must(http.StatusNotFound, "GET", path, alice, nil)
	e.must(http.StatusNotFound, "DELETE", path, alice, nil)
}

func TestInvisibleTaskLooksMissing(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	mallory := e.member("mallory", "globex", "owner")
	tk := e.createTask(alice, map[string]any{"title": "secret"})
	path := fmt.Sprintf("/api/tasks/%d", tk.ID)

	missing := e.must(http.StatusNotFound, "GET", "/api/tasks/999999", bob, nil).problem(t)
	for _, tok := range []string{bob, mallory} {
		for _, m := range []string{"GET", "DELETE"} {
			p := e.must(http.StatusNotFound, m, path, tok, nil).problem(t)
			if p["detail"] != missing["detail"] || p["title"] != missing["title"] || p["type"] != missing["type"] {
				t.Errorf("%s invisible = %v, want same body as missing %v", m, p, missing)
			}
		}
		e.must(http.StatusNotFound, "PATCH", path, tok, map[string]any{"title": "pwned"})
		e.must(http.StatusNotFound, "PUT", path, tok, map[string]any{"title": "pwned"})
	}
	var got taskJSON
	e.must(http.StatusOK, "GET", path, alice, nil).json(t, &got)
	if got.Title != "secret" {
		t.Errorf("title = %q after others' writes, want unchanged", got.Title)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	e := newEnv(t)
	good := e.member("alice", "acme", "member")
	parts := strings.Split(good, ".")
	tests := []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"not bearer", "Basic YWxpY2U6cHc="},
		{"empty bearer", "Bearer "},
		{"garbage", "Bearer not.a.jwt"},
		{"tampered payload", "Bearer " + parts[0] + "." + parts[1] + "x." + parts[2]},
		{"wrong issuer", "Bearer " + e.token(map[string]any{"sub": "a", "iss": "https://evil.test"})},
		{"wrong audience", "Bearer " + e.token(map[string]any{"sub": "a", "aud": "other"})},
		{"expired", "Bearer " + e.token(map[string]any{"sub": "a", "exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/me", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %d, want 401", resp.StatusCode)
			}
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, `Bearer error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", h)
			}
		})
	}
	// A bad token on an optional-auth route is a 401, never anonymous.
	e.must(http.StatusUnauthorized, "GET", "/api/public", "not.a.jwt", nil)
	e.must(http.StatusUnauthorized, "GET", "/api/posts", "not.a.jwt", nil)
}

func TestRoutingHygiene(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	r := e.do("GET", "/api/tasks/", alice, nil)
	if r.status == http.StatusMovedPermanently || r.status == http.StatusTemporaryRedirect || r.status == http.StatusOK {
		t.Errorf("trailing slash: got %d, want no redirect and no listing", r.status)
	}
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/abc", alice, nil)
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/0", alice, nil)
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/-1", alice, nil)
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/99999999999999999999999", alice, nil)
	e.must(http.StatusNotFound, "GET", "/api/nothing", alice, nil)
	e.must(http.StatusMethodNotAllowed, "PUT", "/api/public", alice, nil)
	r = e.must(http.StatusOK, "GET", "/api/public", "", nil)
	if r.header.Get("X-Request-Id") == "" || !strings.Contains(r.header.Get("Server-Timing"), "jwt;dur=") {
		t.Errorf("headers = %v, want X-Request-Id and Server-Timing", r.header)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("X-Request-Id = %q, want the client's trace-123", got)
	}
}
