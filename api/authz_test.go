package api_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/warden-authz/warden/policies"
)

func TestMePermissionsComeFromThePolicy(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		token string
		want  []string
	}{
		{"member", e.member("mike", "acme", "member"), []string{"posts:create", "reports:create", "tasks:create"}},
		{"member with claim permissions", e.token(map[string]any{"sub": "x", "org_id": "acme", "org_role": "member",
			"permissions": map[string]any{"tasks": []string{"bulk", "read"}}}),
			[]string{"posts:create", "reports:create", "tasks:bulk", "tasks:create", "tasks:read"}},
		{"comma roles", e.member("m2", "acme", "member,moderator"),
			[]string{"posts:create", "posts:moderate", "reports:create", "reports:read", "reports:resolve", "tasks:create", "users:read"}},
		{"custom role", e.member("c", "acme", "viewer"), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			var got struct {
				Permissions []string `json:"permissions"`
			}
			e.must(http.StatusOK, "GET", "/api/me/permissions", tt.token, nil).json(t, &got)
			if !slices.Equal(got.Permissions, tt.want) {
				t.Errorf("got %v, want %v", got.Permissions, tt.want)
			}
		})
	}
	var me map[string]any
	e.must(http.StatusOK, "GET", "/api/me", e.token(map[string]any{"sub": "pat", "email": "p@x.test", "name": "Pat"}), nil).json(t, &me)
	if me["tenant"] != "user:pat" || me["email"] != "p@x.test" || me["name"] != "Pat" {
		t.Errorf("/api/me = %v, want personal tenant user:pat", me)
	}
}

func TestPublicGreets(t *testing.T) {
	e := newEnv(t)
	var got map[string]any
	e.must(http.StatusOK, "GET", "/api/public", "", nil).json(t, &got)
	if got["message"] != "Hello, guest!" || got["authenticated"] != false {
		t.Errorf("anonymous = %v", got)
	}
	e.must(http.StatusOK, "GET", "/api/public", e.member("ann", "acme", "member"), nil).json(t, &got)
	if got["message"] != "Hello, Ann!" || got["authenticated"] != true {
		t.Errorf("subject = %v", got)
	}
}

func TestPostsListVisibility(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	mallory := e.member("mallory", "globex", "member")
	e.must(http.StatusCreated, "POST", "/api/posts", alice, map[string]any{"title": "alice public", "is_public": true})
	e.must(http.StatusCreated, "POST", "/api/posts", alice, map[string]any{"title": "alice draft"})
	e.must(http.StatusCreated, "POST", "/api/posts", bob, map[string]any{"title": "bob draft"})
	e.must(http.StatusCreated, "POST", "/api/posts", mallory, map[string]any{"title": "globex public", "is_public": true})
	tests := []struct {
		name, token string
		want        []string
	}{
		{"anonymous sees public posts only", "", []string{"globex public", "alice public"}},
		{"alice sees public of her tenant plus her own", alice, []string{"alice draft", "alice public"}},
		{"bob", bob, []string{"bob draft", "alice public"}},
		{"mallory", mallory, []string{"globex public"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			var got []struct {
				Title string `json:"title"`
			}
			e.must(http.StatusOK, "GET", "/api/posts", tt.token, nil).json(t, &got)
			var titles []string
			for _, p := range got {
				titles = append(titles, p.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", titles, tt.want)
			}
		})
	}
}

func TestAdminScopes(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusOK, "GET", "/api/me", e.member("a1", "acme", "member"), nil)
	e.must(http.StatusOK, "GET", "/api/me", e.member("g1", "globex", "member"), nil)
	acmeAdmin := e.member("ada", "acme", "admin")
	root := e.token(map[string]any{"sub": "root", "role": "admin"})
	tenantsOf := func(token string) []string {
		var users []struct {
			Tenant string `json:"tenant"`
		}
		e.must(http.StatusOK, "GET", "/api/admin/users", token, nil).json(t, &users)
		var out []string
		for _, u := range users {
			if !slices.Contains(out, u.Tenant) {
				out = append(out, u.Tenant)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := tenantsOf(acmeAdmin); !slices.Equal(got, []string{"acme"}) {
		t.Errorf("tenant admin sees tenants %v, want [acme]", got)
	}
	if got := tenantsOf(root); !slices.Contains(got, "acme") || !slices.Contains(got, "globex") {
		t.Errorf("platform admin sees tenants %v, want acme and globex", got)
	}
	// A platform admin sees admin routes of every tenant, not tenant data.
	e.createTask(e.member("a1", "acme", "member"), map[string]any{"title": "acme data"})
	var tasks []taskJSON
	e.must(http.StatusOK, "GET", "/api/tasks", root, nil).json(t, &tasks)
	if len(tasks) != 0 {
		t.Errorf("platform admin lists %d tasks of other tenants, want 0", len(tasks))
	}
}

func TestMeCanDoesNotRevealExistence(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "a"})
	ask := func(token string, id int64) []map[string]any {
		var out []map[string]any
		e.must(http.StatusOK, "POST", "/api/me/can", token, []map[string]any{
			{"action": "tasks:update", "resource": map[string]any{"type": "task", "id": id}},
			{"action": "tasks:create", "resource": map[string]any{"type": "task"}},
			{"action": "tasks:bulk_create", "resource": map[string]any{"type": "task"}},
		}).json(t, &out)
		return out
	}
	got := ask(alice, tk.ID)
	if got[0]["allowed"] != true || got[1]["allowed"] != true {
		t.Errorf("alice = %v, want allowed to update her task and create", got)
	}
	invisible, _ := json.Marshal(ask(bob, tk.ID)[0])
	missing, _ := json.Marshal(ask(bob, 999999)[0])
	if string(invisible) != string(missing) {
		t.Errorf("invisible answer %s differs from missing answer %s", invisible, missing)
	}
	e.must(http.StatusUnprocessableEntity, "POST", "/api/me/can", alice, []map[string]any{{"action": "tasks:read", "resource": map[string]any{"type": "spaceship", "id": 1}}})
	e.must(http.StatusUnprocessableEntity, "POST", "/api/me/can", alice, []map[string]any{})
}

// copyBundle writes the embedded policy to a directory the test may edit.
func copyBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(policies.Bundle(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(policies.Bundle(), path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// editRoles rewrites the role → permission data of a copied bundle.
func editRoles(t *testing.T, dir string, edit func(perms map[string][]string)) {
	t.Helper()
	var path string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "data.json" && strings.Contains(p, "roles") {
			path = p
		}
		return nil
	})
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("roles data.json not found in the bundle: %v", err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	perms := map[string][]string{}
	pb, _ := json.Marshal(data["permissions"])
	_ = json.Unmarshal(pb, &perms)
	edit(perms)
	data["permissions"] = perms
	out, _ := json.MarshalIndent(data, "", "  ")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRoleDataChangesDecisions shows that the security team changes who may do
// what by editing data, with no Go change: the same requests, another policy
// directory, other answers — for single decisions and for list filtering.
func TestRoleDataChangesDecisions(t *testing.T) {
	dir := copyBundle(t)
	editRoles(t, dir, func(p map[string][]string) {
		p["moderator"] = append(p["moderator"], "tasks:create")
		p["member"] = append(p["member"], "tasks:read")
	})
	embedded, edited := newEnv(t), newEnv(t, envOptions{policyDir: dir})
	for _, tc := range []struct {
		e         *env
		modCreate int
		bobSees   int
	}{{embedded, http.StatusForbidden, 0}, {edited, http.StatusCreated, 1}} {
		e := tc.e
		e.must(tc.modCreate, "POST", "/api/tasks", e.member("moe", "acme", "moderator"), map[string]any{"title": "x"})
		e.createTask(e.member("alice", "acme", "member"), map[string]any{"title": "alice's"})
		var list []taskJSON
		e.must(http.StatusOK, "GET", "/api/tasks?user_id=alice", e.member("bob", "acme", "member"), nil).json(t, &list)
		if len(list) != tc.bobSees {
			t.Errorf("bob sees %d of alice's tasks, want %d", len(list), tc.bobSees)
		}
	}
}

func TestNonMembersAreNotRecordedAsTenantUsers(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusOK, "GET", "/api/me", e.token(map[string]any{"sub": "nora", "email": "nora@x.test", "org_id": "acme"}), nil)
	e.must(http.StatusOK, "GET", "/api/me", e.member("mike", "acme", "member"), nil)
	var users []struct {
		ID string `json:"id"`
	}
	e.must(http.StatusOK, "GET", "/api/admin/users", e.member("ada", "acme", "admin"), nil).json(t, &users)
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if slices.Contains(ids, "nora") || !slices.Contains(ids, "mike") {
		t.Errorf("acme users = %v, want mike and not the role-less nora", ids)
	}
}

func TestMissingAndInvisibleRowsCarryTheSameHeaders(t *testing.T) {
	e := newEnv(t)
	tk := e.createTask(e.member("alice", "acme", "member"), map[string]any{"title": "a"})
	bob := e.member("bob", "acme", "member")
	invisible := e.must(http.StatusNotFound, "GET", "/api/tasks/"+itoa(tk.ID), bob, nil)
	missing := e.must(http.StatusNotFound, "GET", "/api/tasks/999999", bob, nil)
	for _, h := range []string{"X-Decision-Id", "Server-Timing", "Content-Type"} {
		if (invisible.header.Get(h) == "") != (missing.header.Get(h) == "") {
			t.Errorf("%s: invisible %q, missing %q", h, invisible.header.Get(h), missing.header.Get(h))
		}
	}
	if strings.Count(invisible.header.Get("X-Decision-Id"), ",") != strings.Count(missing.header.Get("X-Decision-Id"), ",") {
		t.Errorf("decision ids: invisible %q, missing %q", invisible.header.Get("X-Decision-Id"), missing.header.Get("X-Decision-Id"))
	}
}

func TestUnknownActionsShareOneMetricLabel(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	for _, a := range []string{"x:1", "x:2", "x:3"} {
		e.must(http.StatusOK, "POST", "/api/me/can", alice, []map[string]any{{"action": a, "resource": map[string]any{"type": "task"}}})
	}
	body := string(e.must(http.StatusOK, "GET", "/metrics", "", nil).body)
	if strings.Contains(body, `action="x:1"`) || !strings.Contains(body, `warden_authz_decisions_total{action="unknown",result="deny"} 3`) {
		t.Errorf("metrics label client-chosen actions: %s", body[:min(len(body), 400)])
	}
}

func TestReportOnMissingOrInvisiblePostLooksTheSame(t *testing.T) {
	e := newEnv(t)
	var p struct {
		ID int64 `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/api/posts", e.member("gina", "globex", "member"), map[string]any{"title": "private"}).json(t, &p)
	alice := e.member("alice", "acme", "member")
	invisible := e.must(http.StatusUnprocessableEntity, "POST", "/api/reports", alice, map[string]any{"post_id": p.ID, "reason": "x"})
	missing := e.must(http.StatusUnprocessableEntity, "POST", "/api/reports", alice, map[string]any{"post_id": 999999, "reason": "x"})
	hi, hm := invisible.header.Get("X-Decision-Id"), missing.header.Get("X-Decision-Id")
	if strings.Count(hi, ",") != strings.Count(hm, ",") {
		t.Errorf("decision ids: invisible %q, missing %q: the count tells them apart", hi, hm)
	}
	ip, mp := invisible.problem(t), missing.problem(t)
	if fmt.Sprint(ip["errors"]) != fmt.Sprint(mp["errors"]) || ip["detail"] != mp["detail"] {
		t.Errorf("bodies differ: %v / %v", ip, mp)
	}
}
