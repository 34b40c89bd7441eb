package policies

import (
	"context"
	"encoding/json"
	"github.com/warden-authz/warden/internal/testlog"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-authz/warden"
)

// Subjects of the matrix. Tenant t1 is the tenant under test.
var (
	alice = &warden.Subject{ID: "alice", Email: "alice@example.com", Name: "Alice", Tenant: "t1", TenantRoles: []string{"member"}}
	bob   = &warden.Subject{ID: "bob", Tenant: "t1", TenantRoles: []string{"member"}}
	ada   = &warden.Subject{ID: "ada", Tenant: "t1", TenantRoles: []string{"admin"}}
	olga  = &warden.Subject{ID: "olga", Tenant: "t1", TenantRoles: []string{"owner"}}
	mo    = &warden.Subject{ID: "mo", Tenant: "t1", TenantRoles: []string{"moderator"}}
	eve   = &warden.Subject{ID: "eve", Tenant: "t2", TenantRoles: []string{"admin"}}
	root  = &warden.Subject{ID: "root", Tenant: "t9", Roles: []string{"admin"}}
	vic   = &warden.Subject{ID: "vic", Tenant: "t1", TenantRoles: []string{"viewer"}}
	gus   = &warden.Subject{ID: "gus", Tenant: "t1"}
	sam   = &warden.Subject{ID: "sam", Tenant: "user:sam", TenantRoles: []string{"owner"}, Personal: true}
)

func ptr[T any](v T) *T { return &v }

func taskOf(tenant, owner string) warden.Resource {
	return warden.Resource{Type: "task", ID: 1, TenantID: tenant, OwnerID: owner}
}

func postOf(tenant, owner string, public bool) warden.Resource {
	return warden.Resource{Type: "post", ID: 2, TenantID: tenant, OwnerID: owner, IsPublic: ptr(public)}
}

func reportOf(tenant string) warden.Resource {
	return warden.Resource{Type: "report", ID: 3, TenantID: tenant, OwnerID: "bob", Status: "open"}
}

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// embedded is shared by the tests that only read from it.
func embedded(t testing.TB) *Engine {
	t.Helper()
	return newEngine(t, Options{})
}

func TestDecideMatrix(t *testing.T) {
	e := embedded(t)
	task := taskOf("t1", "alice")
	private := postOf("t1", "alice", false)
	public := postOf("t1", "alice", true)
	report := reportOf("t1")
	const (
		hidden = "(hidden)"
		allow  = "(allow)"
	)
	tests := []struct {
		name    string
		subject *warden.Subject
		action  string
		res     warden.Resource
		want    string // allow, hidden (404) or the first reason of a 403
	}{
		{"owner reads task", alice, "tasks:read", task, allow},
		{"owner updates task", alice, "tasks:update", task, allow},
		{"owner deletes task", alice, "tasks:delete", task, allow},
		{"member reads task of another", bob, "tasks:read", task, hidden},
		{"member updates task of another", bob, "tasks:update", task, hidden},
		{"tenant admin updates any task", ada, "tasks:update", task, allow},
		{"tenant owner deletes any task", olga, "tasks:delete", task, allow},
		{"moderator reads task", mo, "tasks:read", task, hidden},
		{"other tenant admin reads task", eve, "tasks:read", task, hidden},
		{"other tenant admin deletes task", eve, "tasks:delete", task, hidden},
		{"global admin reads task", root, "tasks:read", task, hidden},
		{"custom role reads task", vic, "tasks:read", task, hidden},
		{"non-member owner reads own task", gus, "tasks:read", taskOf("t1", "gus"), "not a member of tenant t1"},
		{"personal tenant reads other tenant task", sam, "tasks:read", task, hidden},
		{"personal tenant updates own task", sam, "tasks:update", taskOf("user:sam", "sam"), allow},
		{"anonymous reads task", nil, "tasks:read", task, hidden},

		{"member lists tasks", bob, "tasks:list", warden.Resource{Type: "task"}, allow},
		{"non-member lists tasks", gus, "tasks:list", warden.Resource{Type: "task"}, "not a member of tenant t1"},
		{"global admin lists tasks", root, "tasks:list", warden.Resource{Type: "task"}, "not a member of tenant t9"},
		{"anonymous lists tasks", nil, "tasks:list", warden.Resource{Type: "task"}, "authentication required"},
		{"member creates task", alice, "tasks:create", warden.Resource{Type: "task"}, allow},
		{"moderator creates task", mo, "tasks:create", warden.Resource{Type: "task"}, "missing permissions: [tasks:create]"},
		{"custom role creates task", vic, "tasks:create", warden.Resource{Type: "task"}, "missing permissions: [tasks:create]"},
		{"member bulk creates", alice, "tasks:bulk_create", warden.Resource{Type: "task", Count: 100}, allow},
		{"member imports", alice, "tasks:import", warden.Resource{Type: "task", Count: 5}, "missing permissions: [tasks:bulk]"},
		{"custom role imports", vic, "tasks:import", warden.Resource{Type: "task"}, "missing permissions: [tasks:bulk tasks:create]"},
		{"admin imports", ada, "tasks:import", warden.Resource{Type: "task"}, allow},
		{"personal tenant imports", sam, "tasks:import", warden.Resource{Type: "task"}, allow},
		{"member bulk deletes", bob, "tasks:bulk_delete", warden.Resource{Type: "task"}, allow},
		{"member bulk completes", mo, "tasks:bulk_complete", warden.Resource{Type: "task"}, allow},
		{"non-member bulk deletes", gus, "tasks:bulk_delete", warden.Resource{Type: "task"}, "not a member of tenant t1"},

		{"anonymous lists posts", nil, "posts:list", warden.Resource{Type: "post"}, allow},
		{"anonymous reads public post", nil, "posts:read", public, allow},
		{"anonymous reads public post of another tenant", nil, "posts:read", postOf("t7", "x", true), allow},
		{"anonymous reads private post", nil, "posts:read", private, hidden},
		{"member reads public post", bob, "posts:read", public, allow},
		{"member reads private post", bob, "posts:read", private, hidden},
		{"other tenant reads public post", eve, "posts:read", public, hidden},
		{"owner updates private post", alice, "posts:update", private, allow},
		{"member updates public post", bob, "posts:update", public, "missing permissions: [posts:moderate]"},
		{"moderator deletes private post", mo, "posts:delete", private, allow},
		{"other tenant admin deletes post", eve, "posts:delete", public, hidden},
		{"anonymous deletes public post", nil, "posts:delete", public, "authentication required"},
		{"member creates post", alice, "posts:create", warden.Resource{Type: "post"}, allow},

		{"member reports", bob, "reports:create", warden.Resource{Type: "report"}, allow},
		{"moderator reports", mo, "reports:create", warden.Resource{Type: "report"}, "missing permissions: [reports:create]"},
		{"moderator enters moderation", mo, "moderation:access", warden.Resource{}, allow},
		{"member enters moderation", alice, "moderation:access", warden.Resource{}, "one of roles [admin moderator owner] required"},
		{"moderator lists reports", mo, "reports:read", warden.Resource{Type: "report"}, allow},
		{"member lists reports", alice, "reports:read", warden.Resource{Type: "report"}, "missing permissions: [reports:read]"},
		{"moderator resolves report", mo, "reports:resolve", report, allow},
		{"member resolves report", alice, "reports:resolve", report, hidden},
		{"other tenant moderator resolves report", &warden.Subject{ID: "m2", Tenant: "t2", TenantRoles: []string{"moderator"}}, "reports:resolve", report, hidden},

		{"admin enters admin", ada, "admin:access", warden.Resource{}, allow},
		{"owner enters admin", olga, "admin:access", warden.Resource{}, allow},
		{"global admin enters admin of any tenant", root, "admin:access", warden.Resource{TenantID: "t1"}, allow},
		{"moderator enters admin", mo, "admin:access", warden.Resource{}, "one of roles [admin owner] required"},
		{"other tenant admin enters admin of t1", eve, "admin:access", warden.Resource{TenantID: "t1"}, hidden},
		{"global admin reads stats", root, "stats:read", warden.Resource{}, allow},
		{"moderator reads users", mo, "users:read", warden.Resource{}, allow},
		{"global admin reads users", root, "users:read", warden.Resource{TenantID: "t1"}, allow},
		{"global admin enters moderation", root, "moderation:access", warden.Resource{}, "one of roles [admin moderator owner] required"},
		{"member reads users", alice, "users:read", warden.Resource{}, "missing permissions: [users:read]"},

		{"any subject reads me", gus, "me:read", warden.Resource{}, allow},
		{"anonymous reads me", nil, "me:read", warden.Resource{}, "authentication required"},
		{"unknown action", olga, "tasks:frobnicate", warden.Resource{}, "unknown action"},
		{"empty action", olga, "", warden.Resource{}, "unknown action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(context.Background(), warden.AuthzRequest{Subject: tt.subject, Action: tt.action, Resource: tt.res})
			var got string
			switch {
			case d.Allow:
				got = allow
				if !d.Visible || len(d.Reasons) != 0 {
					t.Errorf("allowed decision: visible %v, reasons %q; want visible and no reasons", d.Visible, d.Reasons)
				}
			case !d.Visible:
				got = hidden
			default:
				got = d.Reasons[0]
			}
			if got != tt.want {
				t.Errorf("got %s, want %s (decision %+v)", got, tt.want, d)
			}
			if !d.Allow && len(d.Reasons) == 0 {
				t.Errorf("deny without a reason: %+v", d)
			}
		})
	}
}

func TestDecideSetsIDAndRevision(t *testing.T) {
	e := embedded(t)
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(e.Revision()) {
		t.Fatalf("revision %q, want 12 hex digits", e.Revision())
	}
	seen := map[string]bool{}
	for range 50 {
		d := e.Decide(context.Background(), warden.AuthzRequest{Subject: alice, Action: "me:read"})
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(d.ID) {
			t.Fatalf("decision id %q, want 16 hex digits", d.ID)
		}
		if seen[d.ID] {
			t.Fatalf("decision id %q repeated", d.ID)
		}
		seen[d.ID] = true
		if d.Revision != e.Revision() {
			t.Fatalf("decision revision %q, want %q", d.Revision, e.Revision())
		}
	}
}

func TestRevisionIsStableAndFollowsTheFiles(t *testing.T) {
	e := embedded(t)
	dir := copyBundle(t)
	fromDir := newEngine(t, Options{Dir: dir})
	if fromDir.Revision() != e.Revision() {
		t.Fatalf("same files: revision %q, want %q", fromDir.Revision(), e.Revision())
	}
	// Tests beside the policy do not change what is served.
	writeFile(t, dir, "warden/authz/extra_test.rego", "package warden.authz_test\n\ntest_x if true\n")
	if got := newEngine(t, Options{Dir: dir}).Revision(); got != e.Revision() {
		t.Fatalf("with a test file: revision %q, want %q", got, e.Revision())
	}
	writeFile(t, dir, "warden/authz/comment.rego", "package warden.authz\n\n# a comment\n")
	if got := newEngine(t, Options{Dir: dir}).Revision(); got == e.Revision() {
		t.Fatal("an added file left the revision unchanged")
	}
}

func TestDecideDeniesWhenPolicyCannotDecide(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		files   map[string]string
	}{
		{
			name:    "timeout",
			timeout: time.Nanosecond,
		},
		{
			name:    "slow rule",
			timeout: 20 * time.Millisecond,
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := {"allow": true, "visible": true, "reasons": []} if {
	count({x | some x in numbers.range(1, 100000000)}) > 0
}`)},
		},
		{
			name: "undefined",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := {"allow": true, "visible": true, "reasons": []} if input.nothing`)},
		},
		{
			name: "conflict",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := {"allow": true, "visible": true, "reasons": []} if input.action
decision := {"allow": false, "visible": true, "reasons": ["x"]} if input.action`)},
		},
		{
			name: "builtin error",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := {"allow": to_number(input.action) > 0, "visible": true, "reasons": []}`)},
		},
		{
			name: "allow not a boolean",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := {"allow": "yes", "visible": true, "reasons": []}`)},
		},
		{
			name: "not an object",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy(`
decision := true`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Timeout: tt.timeout}
			if tt.files != nil {
				opts.Dir = t.TempDir()
				for name, body := range tt.files {
					writeFile(t, opts.Dir, name, body)
				}
			}
			e := newEngine(t, opts)
			d := e.Decide(context.Background(), warden.AuthzRequest{Subject: olga, Action: "tasks:list"})
			want := warden.Decision{ID: d.ID, Revision: e.Revision(), Reasons: []string{"policy could not decide"}, Undecided: true}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideDeniesOnCanceledContext(t *testing.T) {
	e := embedded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := e.Decide(ctx, warden.AuthzRequest{Subject: olga, Action: "tasks:list"})
	if d.Allow || d.Reasons[0] != "policy could not decide" {
		t.Fatalf("got %+v, want a deny that could not decide", d)
	}
}

// minimalPolicy wraps a decision rule with the other rules the engine
// requires, so each test states only what it is about.
func minimalPolicy(rules string) string {
	return "package warden.authz\n\neffective_permissions := set()\n\nfilter_tasks if false\n\nfilter_posts if false\n\nfilter_reports if false\n" + rules + "\n"
}

func TestNewRefusesBadPolicy(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name:  "parse error",
			files: map[string]string{"warden/authz/authz.rego": "package warden.authz\n\ndecision := {\n"},
			want:  "rego_parse_error",
		},
		{
			name:  "unsafe variable",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy("decision := x if y == 1")},
			want:  "rego_unsafe_var_error",
		},
		{
			name:  "strict mode",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy("decision := {\"allow\": false} if {\n\tx := 1\n}")},
			want:  "assigned var x unused",
		},
		{
			name:  "missing decision",
			files: map[string]string{"warden/authz/authz.rego": minimalPolicy("")},
			want:  "no rule data.warden.authz.decision",
		},
		{
			name:  "missing filter",
			files: map[string]string{"warden/authz/authz.rego": "package warden.authz\n\ndecision := {}\n\neffective_permissions := set()\n"},
			want:  "no rule data.warden.authz.filter_",
		},
		{
			name:  "bad data",
			files: map[string]string{"warden/roles/data.json": "{\"permissions\": ", "warden/authz/authz.rego": minimalPolicy("decision := {}")},
			want:  "data.json",
		},
		{
			name:  "empty directory",
			files: map[string]string{"README.md": "nothing here"},
			want:  "no .rego or data.json files",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				writeFile(t, dir, name, body)
			}
			_, err := New(context.Background(), Options{Dir: dir})
			if err == nil {
				t.Fatal("New accepted a bad policy")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReloadKeepsLastGoodPolicy(t *testing.T) {
	dir := copyBundle(t)
	var logs syncBuffer
	e := newEngine(t, Options{
		Dir:            dir,
		ReloadDebounce: 20 * time.Millisecond,
		Logger:         slogTo(&logs),
	})
	first := e.Revision()
	importReq := warden.AuthzRequest{Subject: alice, Action: "tasks:import", Resource: warden.Resource{Type: "task"}}
	if e.Decide(context.Background(), importReq).Allow {
		t.Fatal("member may import before the change")
	}

	// The security team grants tasks:bulk to members.
	data := readFile(t, dir, "warden/roles/data.json")
	data = strings.Replace(data, `"member": [`, `"member": ["tasks:bulk", `, 1)
	writeFile(t, dir, "warden/roles/data.json", data)
	second := waitFor(t, func() (string, bool) { return e.Revision(), e.Revision() != first })
	if d := e.Decide(context.Background(), importReq); !d.Allow || d.Revision != second {
		t.Fatalf("after reload: got %+v, want allowed under revision %s", d, second)
	}

	// A change that does not compile is refused; the last good one serves.
	writeFile(t, dir, "warden/authz/broken.rego", "package warden.authz\n\nallow if {\n")
	waitFor(t, func() (string, bool) {
		return logs.String(), strings.Contains(logs.String(), "policy reload refused")
	})
	if e.Revision() != second {
		t.Fatalf("revision %s after a broken change, want %s", e.Revision(), second)
	}
	if !e.Decide(context.Background(), importReq).Allow {
		t.Fatal("last good policy no longer serves")
	}
	if !strings.Contains(logs.String(), "rego_parse_error") {
		t.Errorf("log does not carry the compiler message:\n%s", logs.String())
	}

	// Fixing it reloads again.
	if err := os.Remove(filepath.Join(dir, "warden/authz/broken.rego")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "warden/authz/note.rego", "package warden.authz\n\n# reviewed\n")
	third := waitFor(t, func() (string, bool) { return e.Revision(), e.Revision() != second })

	// Moving the role data aside (as a careless deploy does) is refused: the
	// policy never serves without it, not even for a moment.
	if err := os.Rename(filepath.Join(dir, "warden/roles/data.json"), filepath.Join(dir, "data.json.bak")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() (string, bool) {
		return logs.String(), strings.Contains(logs.String(), "warden/roles/data.json disappeared")
	})
	if e.Revision() != third || !e.Decide(context.Background(), importReq).Allow {
		t.Fatalf("after data.json vanished: revision %s (want %s), role permissions must still apply", e.Revision(), third)
	}
}

func TestReloadUnderConcurrentDecisions(t *testing.T) {
	dir := copyBundle(t)
	var logs syncBuffer
	// A generous timeout: compiling competes with the deciders for the
	// CPU, and this test is about half states, not about deadlines.
	e := newEngine(t, Options{Dir: dir, ReloadDebounce: 5 * time.Millisecond, Timeout: 10 * time.Second, Logger: slogTo(&logs)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []warden.Decision
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				d := e.Decide(context.Background(), warden.AuthzRequest{Subject: alice, Action: "tasks:read", Resource: taskOf("t1", "alice")})
				if !d.Allow {
					mu.Lock()
					bad = append(bad, d)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range 5 {
		writeFile(t, dir, "warden/authz/note.rego", "package warden.authz\n\n# revision "+string(rune('a'+i))+"\n")
		time.Sleep(30 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d decisions denied during reloads, first %+v\n%s", len(bad), bad[0], logs.String())
	}
}

func TestPermissions(t *testing.T) {
	e := embedded(t)
	tests := []struct {
		name    string
		subject *warden.Subject
		want    []string
	}{
		{"member", alice, []string{"posts:create", "reports:create", "tasks:create"}},
		{"moderator", mo, []string{"posts:moderate", "reports:read", "reports:resolve", "users:read"}},
		{"admin", ada, []string{
			"posts:create", "posts:moderate", "posts:read",
			"reports:create", "reports:read", "reports:resolve",
			"tasks:bulk", "tasks:create", "tasks:delete", "tasks:read", "tasks:update",
			"users:read",
		}},
		{"claims added", &warden.Subject{ID: "x", Tenant: "t1", TenantRoles: []string{"member"}, Permissions: []string{"tasks:bulk"}},
			[]string{"posts:create", "reports:create", "tasks:bulk", "tasks:create"}},
		{"custom role", vic, []string{}},
		{"non-member", &warden.Subject{ID: "g", Tenant: "t1", Permissions: []string{"tasks:read"}}, []string{}},
		{"global admin", root, []string{}},
		{"anonymous", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Permissions(context.Background(), tt.subject)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
	if perms, _ := e.Permissions(context.Background(), olga); !cmp.Equal(perms, mustPermissions(t, e, sam)) {
		t.Errorf("personal tenant permissions differ from the owner role's")
	}
}

func mustPermissions(t *testing.T, e *Engine, s *warden.Subject) []string {
	t.Helper()
	p, err := e.Permissions(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecisionLog(t *testing.T) {
	var buf syncBuffer
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	type call struct {
		action  string
		allowed bool
	}
	var calls []call
	e := newEngine(t, Options{
		DecisionLog: &buf,
		Now:         func() time.Time { return now },
		OnDecision: func(action string, allowed bool, elapsed time.Duration) {
			if elapsed <= 0 {
				t.Errorf("elapsed %v, want > 0", elapsed)
			}
			calls = append(calls, call{action, allowed})
		},
	})
	ctx := context.Background()
	d1 := e.Decide(ctx, warden.AuthzRequest{Subject: alice, Action: "tasks:update", Resource: taskOf("t1", "alice"), Method: "PATCH", Route: "/api/tasks/:id"})
	d2 := e.Decide(ctx, warden.AuthzRequest{Action: "me:read"})

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		eval, _ := m["eval_ns"].(float64)
		if eval <= 0 {
			t.Errorf("eval_ns %v, want > 0", m["eval_ns"])
		}
		delete(m, "eval_ns")
		got = append(got, m)
	}
	want := []map[string]any{
		{
			"decision_id": d1.ID, "time": "2026-05-04T03:02:01Z", "subject_id": "alice", "tenant": "t1",
			"action": "tasks:update", "resource_type": "task", "resource_id": float64(1),
			"result": true, "visible": true, "reasons": []any{}, "revision": e.Revision(),
		},
		{
			"decision_id": d2.ID, "time": "2026-05-04T03:02:01Z", "action": "me:read",
			"result": false, "visible": true, "reasons": []any{"authentication required"}, "revision": e.Revision(),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "alice@example.com") || strings.Contains(buf.String(), "Alice") {
		t.Error("decision log carries the email or name")
	}
	if diff := cmp.Diff([]call{{"tasks:update", true}, {"me:read", false}}, calls, cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("OnDecision calls (-want +got):\n%s", diff)
	}
}

func TestEvalDocument(t *testing.T) {
	e := embedded(t)
	var input map[string]any
	doc := `{"subject": {"id": "alice", "tenant": "t1", "tenant_roles": ["member"]},
		"action": "tasks:import", "resource": {"type": "task", "count": 3}}`
	if err := json.Unmarshal([]byte(doc), &input); err != nil {
		t.Fatal(err)
	}
	d, err := e.EvalDocument(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	want := warden.Decision{ID: d.ID, Visible: true, Reasons: []string{"missing permissions: [tasks:bulk]"}, Revision: e.Revision()}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if d.ID == "" {
		t.Error("no decision id")
	}

	d, err = e.EvalDocument(context.Background(), map[string]any{"action": make(chan int)})
	if err == nil || d.Allow {
		t.Errorf("unconvertible input: got %+v, %v; want a deny and an error", d, err)
	}
}

func TestInputDocument(t *testing.T) {
	got := inputValue(warden.AuthzRequest{
		Subject:  sam,
		Action:   "posts:update",
		Resource: warden.Resource{Type: "post", ID: 7, TenantID: "user:sam", OwnerID: "sam", IsPublic: ptr(false), Count: 2},
		Method:   "PATCH",
		Route:    "/api/posts/:id",
	}).String()
	want := `{"action": "posts:update", "request": {"method": "PATCH", "route": "/api/posts/:id"}, "resource": {"count": 2, "id": 7, "is_public": false, "owner_id": "sam", "tenant_id": "user:sam", "type": "post"}, "subject": {"id": "sam", "personal": true, "tenant": "user:sam", "tenant_roles": ["owner"]}}`
	if got != want {
		t.Errorf("input\n got %s\nwant %s", got, want)
	}
	got = inputValue(warden.AuthzRequest{Action: "posts:list"}).String()
	if want := `{"action": "posts:list", "resource": {}}`; got != want {
		t.Errorf("anonymous input\n got %s\nwant %s", got, want)
	}
}

// copyBundle writes the embedded policy into a temporary directory.
func copyBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(Bundle(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Bundle(), p)
		if err != nil {
			return err
		}
		writeFile(t, dir, p, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor polls until ok, for at most 10 seconds.
func waitFor[T any](t *testing.T, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := f()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in time; last value %v", v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer collects output written from several goroutines.
type syncBuffer = testlog.Buffer

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
