package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func titles(ts []taskJSON) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Title
	}
	return out
}

func TestTaskListFiltersAndSearch(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	admin := e.member("ada", "acme", "admin")
	for _, b := range []map[string]any{
		{"title": "100% done", "priority": "high", "completed": true},
		{"title": "snake_case name", "priority": "low"},
		{"title": `back\slash`, "priority": "low"},
		{"title": "plain one"},
	} {
		e.createTask(alice, b)
	}
	e.createTask(bob, map[string]any{"title": "bob's plain task"})

	tests := []struct {
		name  string
		token string
		query string
		want  []string
	}{
		{"newest first, own only", alice, "", []string{"plain one", `back\slash`, "snake_case name", "100% done"}},
		{"admin sees the tenant", admin, "", []string{"bob's plain task", "plain one", `back\slash`, "snake_case name", "100% done"}},
		{"completed", alice, "completed=true", []string{"100% done"}},
		{"priority", alice, "priority=low", []string{`back\slash`, "snake_case name"}},
		{"percent is literal", alice, "search=" + url.QueryEscape("%"), []string{"100% done"}},
		{"underscore is literal", alice, "search=_", []string{"snake_case name"}},
		{"backslash is literal", alice, "search=" + url.QueryEscape(`\`), []string{`back\slash`}},
		{"case-insensitive", alice, "search=PLAIN", []string{"plain one"}},
		{"user_id filter", admin, "user_id=bob", []string{"bob's plain task"}},
		{"member cannot widen with user_id", bob, "user_id=alice", []string{}},
		{"skip and limit", alice, "skip=1&limit=2", []string{`back\slash`, "snake_case name"}},
		{"limit is capped", alice, "limit=1000", []string{"plain one", `back\slash`, "snake_case name", "100% done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []taskJSON
			e.must(http.StatusOK, "GET", "/api/tasks?"+tt.query, tt.token, nil).json(t, &got)
			if g := titles(got); strings.Join(g, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
	for _, q := range []string{"completed=maybe", "priority=urgent", "skip=-1", "limit=0", "limit=x", "colour=red", "page=1", "search=" + strings.Repeat("a", 201)} {
		p := e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks?"+q, alice, nil).problem(t)
		name := strings.SplitN(q, "=", 2)[0]
		if !strings.Contains(fmt.Sprint(p["errors"]), name) {
			t.Errorf("%s: errors %v do not name %q", q, p["errors"], name)
		}
	}
}

type pageJSON struct {
	Items      []taskJSON `json:"items"`
	Total      int        `json:"total"`
	Page       int        `json:"page"`
	PageSize   int        `json:"page_size"`
	Pages      int        `json:"pages"`
	NextCursor *string    `json:"next_cursor"`
}

func TestTaskPaginationAndCursor(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	var bulk []map[string]any
	for i := 0; i < 7; i++ {
		bulk = append(bulk, map[string]any{"title": fmt.Sprintf("t%d", i), "completed": i%2 == 0})
	}
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", alice, bulk)
	e.createTask(e.member("bob", "acme", "member"), map[string]any{"title": "not alice's"})

	var p pageJSON
	e.must(http.StatusOK, "GET", "/api/tasks/paginated?page=2&page_size=3", alice, nil).json(t, &p)
	if p.Total != 7 || p.Page != 2 || p.PageSize != 3 || p.Pages != 3 || len(p.Items) != 3 {
		t.Errorf("page 2 = total %d page %d size %d pages %d items %d, want 7 2 3 3 3", p.Total, p.Page, p.PageSize, p.Pages, len(p.Items))
	}
	e.must(http.StatusOK, "GET", "/api/tasks/paginated?completed=true", alice, nil).json(t, &p)
	if p.Total != 4 || p.PageSize != 20 || p.Pages != 1 {
		t.Errorf("filtered total %d size %d pages %d, want 4 20 1", p.Total, p.PageSize, p.Pages)
	}
	for _, q := range []string{"page=0", "page_size=0", "page_size=101", "cursor=garbage", "cursor=" + "MTIzLjQ" + "&page=2"} {
		e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/paginated?"+q, alice, nil)
	}

	// Walking with the cursor visits every visible task once, newest first.
	var seen []string
	path := "/api/tasks/paginated?page_size=3"
	for i := 0; i < 10; i++ {
		var pg pageJSON
		e.must(http.StatusOK, "GET", path, alice, nil).json(t, &pg)
		seen = append(seen, titles(pg.Items)...)
		if pg.NextCursor == nil {
			break
		}
		path = "/api/tasks/paginated?page_size=3&cursor=" + url.QueryEscape(*pg.NextCursor)
	}
	if got, want := strings.Join(seen, ","), "t6,t5,t4,t3,t2,t1,t0"; got != want {
		t.Errorf("cursor walk = %s, want %s", got, want)
	}
}

func TestBulkCreateIsAtomic(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bad := []any{
		map[string]any{"title": "ok"},
		map[string]any{"title": ""},
		map[string]any{"title": "ok", "priority": "nope"},
		map[string]any{"title": "ok", "id": 5},
	}
	p := e.must(http.StatusUnprocessableEntity, "POST", "/api/tasks/bulk", alice, bad).problem(t)
	errs := fmt.Sprint(p["errors"])
	for _, f := range []string{"[1].title", "[2].priority", "[3].id"} {
		if !strings.Contains(errs, f) {
			t.Errorf("errors %s do not name %s", errs, f)
		}
	}
	var list []taskJSON
	e.must(http.StatusOK, "GET", "/api/tasks", alice, nil).json(t, &list)
	if len(list) != 0 {
		t.Fatalf("after a failed bulk, %d tasks exist, want 0", len(list))
	}
	e.must(http.StatusUnprocessableEntity, "POST", "/api/tasks/bulk", alice, []any{})
	e.must(http.StatusUnprocessableEntity, "POST", "/api/tasks/bulk", alice, map[string]any{"title": "not an array"})
	many := make([]map[string]any, 101)
	for i := range many {
		many[i] = map[string]any{"title": "x"}
	}
	e.must(http.StatusUnprocessableEntity, "POST", "/api/tasks/bulk", alice, many)
	var created []taskJSON
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", alice, many[:100]).json(t, &created)
	if len(created) != 100 || created[0].UserID != "alice" {
		t.Errorf("bulk created %d tasks, want 100 owned by alice", len(created))
	}
}

func TestBulkImportNeedsBulkPermission(t *testing.T) {
	e := newEnv(t)
	member := e.member("alice", "acme", "member")
	items := []map[string]any{{"title": "a"}, {"title": "b"}}
	p := e.must(http.StatusForbidden, "POST", "/api/tasks/bulk-import", member, items).problem(t)
	if p["detail"] != "missing permissions: [tasks:bulk]" {
		t.Errorf("detail = %q, want missing permissions: [tasks:bulk]", p["detail"])
	}
	withPerm := e.token(map[string]any{"sub": "carl", "org_id": "acme", "org_role": "member", "permissions": map[string]any{"tasks": []string{"bulk"}}})
	var created []taskJSON
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk-import", withPerm, items).json(t, &created)
	if len(created) != 2 {
		t.Errorf("imported %d, want 2", len(created))
	}
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"title": "x"}
	}
	e.must(http.StatusUnprocessableEntity, "POST", "/api/tasks/bulk-import", withPerm, many)
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk-import", withPerm, many[:1000])
}

func TestBulkDeleteAndCompleteTouchOnlyOwnRows(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "admin")
	bob := e.member("bob", "acme", "member")
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", alice, []map[string]any{{"title": "a1", "completed": true}, {"title": "a2"}, {"title": "a3"}})
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", bob, []map[string]any{{"title": "b1", "completed": true}, {"title": "b2"}})

	var n map[string]int
	e.must(http.StatusOK, "PATCH", "/api/tasks/bulk/complete", alice, nil).json(t, &n)
	if n["completed"] != 2 {
		t.Errorf("completed = %d, want 2 (alice's open tasks only)", n["completed"])
	}
	e.must(http.StatusOK, "PATCH", "/api/tasks/bulk/complete", alice, nil).json(t, &n)
	if n["completed"] != 0 {
		t.Errorf("second complete = %d, want 0", n["completed"])
	}
	e.must(http.StatusOK, "DELETE", "/api/tasks/bulk", alice, nil).json(t, &n)
	if n["deleted"] != 3 {
		t.Errorf("deleted = %d, want 3", n["deleted"])
	}
	var left []taskJSON
	e.must(http.StatusOK, "GET", "/api/tasks", alice, nil).json(t, &left)
	if got := strings.Join(titles(left), ","); got != "b2,b1" {
		t.Errorf("left = %s, want bob's b2,b1 untouched", got)
	}
}
