package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The subject kinds of the authorization matrix, in column order. A platform
// admin's token names no organization, so it also owns its personal tenant:
// it passes the moderation guard there and sees only that tenant's (empty) data.
var subjectKinds = []string{
	"anonymous", "owner", "member", "tenant_admin", "moderator", "other_admin",
	"global_admin", "custom_role", "no_role", "personal", "reader",
}

func (e *env) subjects() map[string]string {
	return map[string]string{
		"anonymous":    "",
		"owner":        e.member("olivia", "acme", "member"),
		"member":       e.member("mike", "acme", "member"),
		"tenant_admin": e.member("ada", "acme", "admin"),
		"moderator":    e.member("moe", "acme", "moderator"),
		"other_admin":  e.member("oscar", "globex", "admin"),
		"global_admin": e.token(map[string]any{"sub": "root", "role": "admin"}),
		"custom_role":  e.member("cus", "acme", "viewer"),
		"no_role":      e.token(map[string]any{"sub": "nora", "org_id": "acme"}),
		"personal":     e.token(map[string]any{"sub": "pat"}),
		"reader":       e.token(map[string]any{"sub": "rita", "org_id": "acme", "org_role": "member", "permissions": []string{"tasks:read"}}),
	}
}

// fixtures are rows owned by "owner" in tenant acme, made fresh for every cell.
type fixtures struct {
	task, privatePost, publicPost, report int64
}

func (e *env) fixtures(owner, moderator string) fixtures {
	e.t.Helper()
	var f fixtures
	var id struct {
		ID int64 `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/tasks", owner, map[string]any{"title": "owner's task"}).json(e.t, &id)
	f.task = id.ID
	e.must(http.StatusCreated, "POST", "/api/posts", owner, map[string]any{"title": "draft"}).json(e.t, &id)
	f.privatePost = id.ID
	e.must(http.StatusCreated, "POST", "/api/posts", owner, map[string]any{"title": "hello", "is_public": true}).json(e.t, &id)
	f.publicPost = id.ID
	e.must(http.StatusCreated, "POST", "/api/reports", owner, map[string]any{"post_id": f.publicPost, "reason": "spam"}).json(e.t, &id)
	f.report = id.ID
	return f
}

type matrixCase struct {
	method, path string
	body         func(f fixtures) any
	// want holds one status per subject kind, in subjectKinds order.
	want []int
}

func matrixCases() []matrixCase {
	const (
		ok = http.StatusOK
		cr = http.StatusCreated
		nc = http.StatusNoContent
		un = http.StatusUnauthorized
		fb = http.StatusForbidden
		nf = http.StatusNotFound
		iv = http.StatusUnprocessableEntity
	)
	title := func(fixtures) any { return map[string]any{"title": "x"} }
	items := func(fixtures) any { return []map[string]any{{"title": "x"}, {"title": "y"}} }
	return []matrixCase{
		//                                                                 anon own mem tadm mod oadm gadm cust norole pers reader
		{"GET", "/api/me", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/api/me/permissions", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/api/public", nil, []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/api/tasks", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, fb, ok, ok}},
		{"GET", "/api/tasks/paginated", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, fb, ok, ok}},
		{"POST", "/api/tasks", title, []int{un, cr, cr, cr, fb, cr, cr, fb, fb, cr, cr}},
		{"GET", "/api/tasks/{task}", nil, []int{un, ok, nf, ok, nf, nf, nf, nf, fb, nf, ok}},
		{"PATCH", "/api/tasks/{task}", title, []int{un, ok, nf, ok, nf, nf, nf, nf, fb, nf, fb}},
		{"PUT", "/api/tasks/{task}", title, []int{un, ok, nf, ok, nf, nf, nf, nf, fb, nf, fb}},
		{"DELETE", "/api/tasks/{task}", nil, []int{un, nc, nf, nc, nf, nf, nf, nf, fb, nf, fb}},
		{"POST", "/api/tasks/bulk", items, []int{un, cr, cr, cr, fb, cr, cr, fb, fb, cr, cr}},
		{"POST", "/api/tasks/bulk-import", items, []int{un, fb, fb, cr, fb, cr, cr, fb, fb, cr, fb}},
		{"DELETE", "/api/tasks/bulk", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, fb, ok, ok}},
		{"PATCH", "/api/tasks/bulk/complete", nil, []int{un, ok, ok, ok, ok, ok, ok, ok, fb, ok, ok}},
		{"GET", "/api/posts", nil, []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"GET", "/api/posts/{private}", nil, []int{nf, ok, nf, ok, ok, nf, nf, nf, nf, nf, nf}},
		{"GET", "/api/posts/{public}", nil, []int{ok, ok, ok, ok, ok, nf, nf, ok, ok, nf, ok}},
		{"POST", "/api/posts", title, []int{un, cr, cr, cr, fb, cr, cr, fb, fb, cr, cr}},
		{"PATCH", "/api/posts/{private}", title, []int{un, ok, nf, ok, ok, nf, nf, nf, nf, nf, nf}},
		{"PATCH", "/api/posts/{public}", title, []int{un, ok, fb, ok, ok, nf, nf, fb, fb, nf, fb}},
		{"DELETE", "/api/posts/{public}", nil, []int{un, nc, fb, nc, nc, nf, nf, fb, fb, nf, fb}},
		{"POST", "/api/reports", func(f fixtures) any { return map[string]any{"post_id": f.publicPost, "reason": "rude"} },
			[]int{un, cr, cr, cr, fb, iv, iv, fb, fb, iv, cr}},
		{"GET", "/api/moderator/reports", nil, []int{un, fb, fb, ok, ok, ok, ok, fb, fb, ok, fb}},
		{"PATCH", "/api/moderator/reports/{report}", func(fixtures) any { return map[string]any{"status": "resolved"} },
			[]int{un, fb, fb, ok, ok, nf, nf, fb, fb, nf, fb}},
		{"GET", "/api/admin/users", nil, []int{un, fb, fb, ok, fb, ok, ok, fb, fb, ok, fb}},
		{"GET", "/api/admin/stats", nil, []int{un, fb, fb, ok, fb, ok, ok, fb, fb, ok, fb}},
		{"POST", "/api/me/can", func(f fixtures) any {
			return []map[string]any{{"action": "tasks:update", "resource": map[string]any{"type": "task", "id": f.task}}}
		}, []int{un, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
	}
}

func (c matrixCase) resolve(f fixtures) string {
	r := strings.NewReplacer("{task}", fmt.Sprint(f.task), "{private}", fmt.Sprint(f.privatePost),
		"{public}", fmt.Sprint(f.publicPost), "{report}", fmt.Sprint(f.report))
	return r.Replace(c.path)
}

// TestAuthorizationMatrix checks every route against every kind of subject over
// real HTTP, real PostgreSQL and the embedded policy.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	subs := e.subjects()
	for _, c := range matrixCases() {
		if len(c.want) != len(subjectKinds) {
			t.Fatalf("%s %s: %d expectations for %d subject kinds", c.method, c.path, len(c.want), len(subjectKinds))
		}
		for i, kind := range subjectKinds {
			t.Run(c.method+" "+c.path+"/"+kind, func(t *testing.T) {
				e.t = t
				f := e.fixtures(subs["owner"], subs["moderator"])
				var body any
				if c.body != nil {
					body = c.body(f)
				}
				r := e.do(c.method, c.resolve(f), subs[kind], body)
				if r.status != c.want[i] {
					t.Errorf("got %d, want %d; body %s", r.status, c.want[i], r.body)
				}
			})
		}
	}
}

func TestForbiddenNamesWhatIsMissing(t *testing.T) {
	e := newEnv(t)
	subs := e.subjects()
	tests := []struct {
		name, kind, method, path, want string
	}{
		{"role guard", "member", "GET", "/api/moderator/reports", "one of roles [admin moderator owner] required"},
		{"admin guard", "moderator", "GET", "/api/admin/users", "one of roles [admin owner] required"},
		{"permission", "member", "POST", "/api/tasks/bulk-import", "missing permissions: [tasks:bulk]"},
		{"permission on create", "custom_role", "POST", "/api/tasks", "missing permissions: [tasks:create]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			var body any
			if tt.method == "POST" {
				body = []map[string]any{{"title": "x"}}
				if tt.path == "/api/tasks" {
					body = map[string]any{"title": "x"}
				}
			}
			p := e.must(http.StatusForbidden, tt.method, tt.path, subs[tt.kind], body).problem(t)
			if !strings.Contains(p["detail"].(string), tt.want) {
				t.Errorf("detail = %q, want it to contain %q", p["detail"], tt.want)
			}
		})
	}
}
