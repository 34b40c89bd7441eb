package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/warden-authz/warden"
)

func eq(field string, v any) warden.Condition {
	return warden.Condition{Op: "eq", Field: field, Value: v}
}

func and(cs ...warden.Condition) warden.Condition { return warden.Condition{Op: "and", Children: cs} }

func or(cs ...warden.Condition) warden.Condition { return warden.Condition{Op: "or", Children: cs} }

func TestFilterEmbedded(t *testing.T) {
	e := embedded(t)
	tests := []struct {
		name    string
		subject *warden.Subject
		action  string
		want    warden.Condition
	}{
		{"member lists own tasks", alice, "tasks:list", and(eq("tenant_id", "t1"), eq("owner_id", "alice"))},
		{"member reads own tasks", bob, "tasks:read", and(eq("tenant_id", "t1"), eq("owner_id", "bob"))},
		{"admin lists the tenant's tasks", ada, "tasks:list", eq("tenant_id", "t1")},
		{"claim permission lists the tenant's tasks", &warden.Subject{ID: "c", Tenant: "t3", TenantRoles: []string{"member"}, Permissions: []string{"tasks:read"}}, "tasks:list", eq("tenant_id", "t3")},
		{"admin bulk deletes own tasks only", ada, "tasks:bulk_delete", and(eq("tenant_id", "t1"), eq("owner_id", "ada"))},
		{"member bulk completes own tasks", alice, "tasks:bulk_complete", and(eq("tenant_id", "t1"), eq("owner_id", "alice"))},
		{"non-member sees no task", gus, "tasks:list", warden.MatchNone()},
		{"global admin sees no task", root, "tasks:list", warden.MatchNone()},
		{"moderator sees no task of others", mo, "tasks:list", and(eq("tenant_id", "t1"), eq("owner_id", "mo"))},
		{"anonymous sees no task", nil, "tasks:list", warden.MatchNone()},
		{"other action sees no task", ada, "tasks:update", warden.MatchNone()},
		{"anonymous lists public posts", nil, "posts:list", eq("is_public", true)},
		{"member lists public or own posts", alice, "posts:list", and(eq("tenant_id", "t1"), or(eq("is_public", true), eq("owner_id", "alice")))},
		{"non-member lists public posts of its tenant", gus, "posts:list", and(eq("tenant_id", "t1"), eq("is_public", true))},
		{"moderator lists every post of the tenant", mo, "posts:list", eq("tenant_id", "t1")},
		{"personal tenant lists its posts", sam, "posts:read", eq("tenant_id", "user:sam")},
		{"moderator lists reports", mo, "reports:read", eq("tenant_id", "t1")},
		{"member lists no report", alice, "reports:read", warden.MatchNone()},
		{"other tenant admin lists its reports", eve, "reports:read", eq("tenant_id", "t2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Filter(context.Background(), tt.subject, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterUnknownTable(t *testing.T) {
	e := embedded(t)
	for _, action := range []string{"users:read", "", "tasks"} {
		got, err := e.Filter(context.Background(), ada, action)
		if action == "tasks" {
			// "tasks" without an action names the table but no filter
			// clause matches: nothing visible.
			if err != nil || got.Op != "none" {
				t.Errorf("%q: got %+v, %v; want MatchNone", action, got, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error", action)
		}
		if got.Op != "none" {
			t.Errorf("%q: got %+v with the error, want MatchNone", action, got)
		}
	}
}

// conversionPolicy exercises the conversion with residuals the embedded
// policy does not produce.
const conversionPolicy = `package warden.authz

decision := {"allow": false, "visible": false, "reasons": ["test"]}

effective_permissions := set()

filter_tasks if input.action == "tasks:all"

filter_tasks if {
	input.action == "tasks:mixed"
	input.tasks.priority in {"low", "high"}
	not input.tasks.completed == true
	input.tasks.owner_id != "nobody"
	startswith(input.tasks.owner_id, "a")
}

filter_tasks if {
	input.action == "tasks:column"
	input.tasks.title == "secret"
}

filter_tasks if {
	input.action == "tasks:builtin"
	lower(input.tasks.priority) == "x"
}

filter_tasks if {
	input.action == "tasks:null"
	input.tasks.priority == null
}

filter_tasks if {
	input.action == "tasks:fieldref"
	input.tasks.owner_id == input.tasks.tenant_id
}

filter_tasks if {
	input.action == "tasks:derived"
	input.tasks.owner_id == concat("", ["x-", input.subject.id])
}

filter_tasks if {
	input.action == "tasks:literal"
	input.subject.tenant != "t1"
	input.tasks.owner_id == input.subject.id
}

filter_tasks if {
	input.action == "tasks:wholerow"
	input.tasks == {"owner_id": "x"}
}

filter_posts if {
	input.action == "posts:any"
	input.posts.tenant_id == input.subject.tenant
}

filter_posts if input.action == "posts:any"

filter_reports if false
`

func TestFilterConversion(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "warden/authz/authz.rego", conversionPolicy)
	e := newEngine(t, Options{Dir: dir})
	tests := []struct {
		action  string
		want    warden.Condition
		wantErr string
	}{
		{action: "tasks:all", want: warden.MatchAll()},
		{action: "posts:any", want: warden.MatchAll()},
		{action: "tasks:none", want: warden.MatchNone()},
		{action: "tasks:mixed", want: and(
			warden.Condition{Op: "in", Field: "priority", Value: []any{"high", "low"}},
			warden.Condition{Op: "not", Children: []warden.Condition{eq("completed", true)}},
			warden.Condition{Op: "ne", Field: "owner_id", Value: "nobody"},
			warden.Condition{Op: "startswith", Field: "owner_id", Value: "a"},
		)},
		{action: "tasks:column", wantErr: `column "tasks.title" is not filterable`},
		{action: "tasks:builtin", wantErr: "invalid builtin"},
		{action: "tasks:null", wantErr: "unsupported value"},
		{action: "tasks:fieldref", wantErr: "unsupported value"},
		// A value computed from the subject is right for that subject: the
		// filter is compiled with the real id, never a stand-in.
		{action: "tasks:derived", want: eq("owner_id", "x-alice")},
		{action: "tasks:literal", want: warden.MatchNone()},
		{action: "tasks:wholerow", wantErr: "pe_fragment_error"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			got, err := e.Filter(context.Background(), alice, tt.action)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				if got.Op != "none" {
					t.Errorf("condition with the error %+v, want MatchNone", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromUCASTRefusesWhatConditionCannotCarry(t *testing.T) {
	cols := map[string]warden.ColumnKind{"owner_id": warden.ColumnText}
	field := func(op string, v any) map[string]any {
		return map[string]any{"type": "field", "operator": op, "field": "tasks.owner_id", "value": v}
	}
	tests := []struct {
		name string
		node map[string]any
	}{
		{"unknown node type", map[string]any{"type": "document", "operator": "exists"}},
		{"unknown compound", map[string]any{"type": "compound", "operator": "xor", "value": []any{field("eq", "a")}}},
		{"empty and", map[string]any{"type": "compound", "operator": "and", "value": []any{}}},
		{"not with two operands", map[string]any{"type": "compound", "operator": "not", "value": []any{field("eq", "a"), field("eq", "b")}}},
		{"operand not a node", map[string]any{"type": "compound", "operator": "or", "value": []any{"x"}}},
		{"unknown field operator", field("nin", []any{"a"})},
		{"other table", map[string]any{"type": "field", "operator": "eq", "field": "posts.owner_id", "value": "a"}},
		{"in without a list", field("in", "a")},
		{"in with an object", field("in", []any{map[string]any{}})},
		{"startswith a number", field("startswith", 1.0)},
		{"eq a list", field("eq", []any{"a"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := fromUCAST(tt.node, "tasks", cols); err == nil {
				t.Fatalf("converted to %+v, want an error", c)
			}
		})
	}
}

func TestSimplify(t *testing.T) {
	a, b, c := eq("a", "1"), eq("b", "2"), eq("c", "3")
	tests := []struct {
		name       string
		give, want warden.Condition
	}{
		{"duplicate disjuncts", or(and(a, b), and(a, b)), and(a, b)},
		{"absorbed disjunct", or(and(a, b), a), a},
		{"nested flattened", and(a, and(b, c)), and(a, b, c)},
		{"common conjunct factored", or(and(a, b), and(a, c)), and(a, or(b, c))},
		{"nothing shared", or(b, c), or(b, c)},
		{"not kept", warden.Condition{Op: "not", Children: []warden.Condition{and(a, a)}}, warden.Condition{Op: "not", Children: []warden.Condition{a}}},
		{"equal sets in another order", or(and(a, b), and(b, a), and(a, c)), and(a, or(b, c))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, simplify(tt.give)); diff != "" {
				t.Errorf("simplify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterCacheKeepsEachSubject(t *testing.T) {
	e := embedded(t)
	ctx := context.Background()
	// alice and bob, ada and eve have the same roles: still one entry each,
	// since a policy may treat an id or a tenant specially.
	cases := []struct {
		subject *warden.Subject
		want    warden.Condition
	}{
		{alice, and(eq("tenant_id", "t1"), or(eq("is_public", true), eq("owner_id", "alice")))},
		{bob, and(eq("tenant_id", "t1"), or(eq("is_public", true), eq("owner_id", "bob")))},
		{&warden.Subject{ID: "carol", Tenant: "t5", TenantRoles: []string{"member"}}, and(eq("tenant_id", "t5"), or(eq("is_public", true), eq("owner_id", "carol")))},
		{ada, eq("tenant_id", "t1")},
		{eve, eq("tenant_id", "t2")},
	}
	for round := range 2 {
		for _, c := range cases {
			got, err := e.Filter(ctx, c.subject, "posts:list")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("round %d, %s (-want +got):\n%s", round, c.subject.ID, diff)
			}
		}
	}
	if n := e.cache.len(); n != 5 {
		t.Errorf("cache holds %d entries, want 5", n)
	}

	// A returned condition is a copy: changing it leaves the cache alone.
	got, _ := e.Filter(ctx, alice, "posts:list")
	got.Children[0].Value = "tampered"
	again, _ := e.Filter(ctx, alice, "posts:list")
	if again.Children[0].Value != "t1" {
		t.Errorf("cached condition was changed through a returned copy: %+v", again)
	}

	// A different shape is not served from another shape's entry.
	withRead := &warden.Subject{ID: "alice", Tenant: "t1", TenantRoles: []string{"member"}, Permissions: []string{"posts:read"}}
	got, err := e.Filter(ctx, withRead, "posts:list")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(eq("tenant_id", "t1"), got); diff != "" {
		t.Errorf("other shape (-want +got):\n%s", diff)
	}
	if n := e.cache.len(); n != 6 {
		t.Errorf("cache holds %d entries, want 6", n)
	}
}

func TestFilterCacheIsBounded(t *testing.T) {
	e := newEngine(t, Options{FilterCacheSize: 3})
	for i := range 10 {
		s := &warden.Subject{ID: "u", Tenant: "t", TenantRoles: []string{fmt.Sprintf("role%d", i)}}
		if _, err := e.Filter(context.Background(), s, "tasks:list"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.cache.len(); n != 3 {
		t.Errorf("cache holds %d entries, want 3", n)
	}
}

func TestFilterKey(t *testing.T) {
	base := warden.Subject{ID: "a", Tenant: "t", TenantRoles: []string{"member"}}
	same := []*warden.Subject{
		{ID: "a", Tenant: "t", TenantRoles: []string{"member"}, Email: "other@x", Name: "Other"},
	}
	differ := []*warden.Subject{
		nil,
		{ID: "b", Tenant: "t", TenantRoles: []string{"member"}},
		{ID: "a", Tenant: "u", TenantRoles: []string{"member"}},
		{ID: "a:t", Tenant: "", TenantRoles: []string{"member"}},
		{ID: "", Tenant: "t", TenantRoles: []string{"member"}},
		{ID: "a", Tenant: "", TenantRoles: []string{"member"}},
		{ID: "a", Tenant: "t", TenantRoles: []string{"member"}, Personal: true},
		{ID: "a", Tenant: "t", TenantRoles: []string{"admin"}},
		{ID: "a", Tenant: "t", TenantRoles: []string{"member", "admin"}},
		{ID: "a", Tenant: "t", Roles: []string{"member"}},
		{ID: "a", Tenant: "t", Permissions: []string{"member"}},
		{ID: "a", Tenant: "t", TenantRoles: []string{"mem", "ber"}},
	}
	k := filterKey("r", "tasks:list", &base)
	for _, s := range same {
		if got := filterKey("r", "tasks:list", s); got != k {
			t.Errorf("%+v: key %q, want %q", s, got, k)
		}
	}
	seen := map[string]bool{k: true}
	for _, s := range differ {
		got := filterKey("r", "tasks:list", s)
		if seen[got] {
			t.Errorf("%+v: key %q collides", s, got)
		}
		seen[got] = true
	}
	if filterKey("r2", "tasks:list", &base) == k || filterKey("r", "tasks:read", &base) == k {
		t.Error("revision or action left out of the key")
	}
}

// TestFilterAgreesWithDecide is the property that lists and single decisions
// cannot drift: over random subjects and rows, a row passes the filter for
// <table>:read exactly when Decide allows <table>:read on it.
func TestFilterAgreesWithDecide(t *testing.T) {
	e := embedded(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 42))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	some := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if rng.IntN(3) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	ids := []string{"u1", "u2", "u3"}
	tenants := []string{"t1", "t2", "user:u1"}
	roles := []string{"member", "admin", "owner", "moderator", "viewer"}
	perms := []string{"tasks:read", "tasks:update", "posts:read", "posts:moderate", "reports:read", "tasks:create"}

	randomSubject := func() *warden.Subject {
		if rng.IntN(8) == 0 {
			return nil
		}
		s := &warden.Subject{
			ID:          pick(ids),
			Tenant:      pick(tenants),
			TenantRoles: some(roles),
			Permissions: some(perms),
		}
		if rng.IntN(6) == 0 {
			s.Roles = []string{"admin"}
		}
		if rng.IntN(4) == 0 {
			s.Tenant, s.Personal, s.TenantRoles = warden.PersonalTenant(s.ID), true, []string{"owner"}
		}
		return s
	}
	type row struct {
		cols map[string]any
		res  warden.Resource
	}
	randomRow := func(table string) row {
		tenant, owner := pick(append(tenants, "user:u2")), pick(ids)
		switch table {
		case "tasks":
			completed, priority := rng.IntN(2) == 0, pick([]string{"low", "medium", "high"})
			return row{
				cols: map[string]any{"tenant_id": tenant, "owner_id": owner, "completed": completed, "priority": priority},
				res:  warden.Resource{Type: "task", ID: 1, TenantID: tenant, OwnerID: owner},
			}
		case "posts":
			public := rng.IntN(2) == 0
			return row{
				cols: map[string]any{"tenant_id": tenant, "owner_id": owner, "is_public": public},
				res:  warden.Resource{Type: "post", ID: 1, TenantID: tenant, OwnerID: owner, IsPublic: &public},
			}
		default:
			status := pick([]string{"open", "resolved", "dismissed"})
			return row{
				cols: map[string]any{"tenant_id": tenant, "reporter_id": owner, "status": status},
				res:  warden.Resource{Type: "report", ID: 1, TenantID: tenant, OwnerID: owner, Status: status},
			}
		}
	}

	checked, allowed := 0, 0
	for range 150 {
		s := randomSubject()
		for _, table := range []string{"tasks", "posts", "reports"} {
			actions := []string{table + ":read"}
			if table != "reports" {
				actions = append(actions, table+":list")
			}
			for _, action := range actions {
				cond, err := e.Filter(ctx, s, action)
				if err != nil {
					t.Fatalf("Filter(%+v, %s): %v", s, action, err)
				}
				for range 12 {
					r := randomRow(table)
					d := e.Decide(ctx, warden.AuthzRequest{Subject: s, Action: table + ":read", Resource: r.res})
					if got := matches(t, cond, r.cols); got != d.Allow {
						t.Fatalf("subject %+v, %s, row %v: filter %v, decision %+v (condition %+v)", s, action, r.cols, got, d, cond)
					}
					checked++
					if d.Allow {
						allowed++
					}
				}
			}
		}
	}
	// Both outcomes must occur often, or the property says little.
	if allowed < checked/20 || allowed > checked-checked/20 {
		t.Errorf("%d of %d rows allowed: the generator is lopsided", allowed, checked)
	}
	t.Logf("%d rows checked, %d allowed", checked, allowed)
}

// matches evaluates a condition against a row, as the SQL would.
func matches(t *testing.T, c warden.Condition, row map[string]any) bool {
	t.Helper()
	switch c.Op {
	case "all":
		return true
	case "none":
		return false
	case "and":
		for _, child := range c.Children {
			if !matches(t, child, row) {
				return false
			}
		}
		return true
	case "or":
		for _, child := range c.Children {
			if matches(t, child, row) {
				return true
			}
		}
		return false
	case "not":
		return !matches(t, c.Children[0], row)
	}
	v, ok := row[c.Field]
	if !ok {
		t.Fatalf("condition names column %q the row lacks", c.Field)
	}
	switch c.Op {
	case "eq":
		return v == c.Value
	case "ne":
		return v != c.Value
	case "in":
		return slices.Contains(c.Value.([]any), v)
	case "startswith":
		return strings.HasPrefix(v.(string), c.Value.(string))
	}
	t.Fatalf("condition op %q not evaluated by the test", c.Op)
	return false
}

func BenchmarkDecide(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		req  warden.AuthzRequest
	}{
		{"allow_owner_update", warden.AuthzRequest{Subject: alice, Action: "tasks:update", Resource: taskOf("t1", "alice"), Method: "PATCH", Route: "/api/tasks/:id"}},
		{"deny_hidden", warden.AuthzRequest{Subject: bob, Action: "tasks:update", Resource: taskOf("t1", "alice")}},
		{"deny_missing_permission", warden.AuthzRequest{Subject: alice, Action: "tasks:import", Resource: warden.Resource{Type: "task", Count: 10}}},
		{"allow_route", warden.AuthzRequest{Subject: alice, Action: "tasks:list"}},
		{"allow_anonymous_post", warden.AuthzRequest{Action: "posts:read", Resource: postOf("t1", "alice", true)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Decide(ctx, bc.req)
			}
		})
	}
}

func BenchmarkPermissions(b *testing.B) {
	e := newEngine(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Permissions(context.Background(), ada); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterCached(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	if _, err := e.Filter(ctx, alice, "posts:list"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Filter(ctx, alice, "posts:list"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterUncached(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e.cache.clear()
		if _, err := e.Filter(ctx, alice, "posts:list"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConfirmUnconditional(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "warden/authz/authz.rego", conversionPolicy)
	e := newEngine(t, Options{Dir: dir})
	fq := e.state.Load().filters["tasks"]
	input := func(action string) ast.Value {
		return ast.NewObject(ast.Item(ast.StringTerm("action"), ast.StringTerm(action)))
	}
	if err := confirmUnconditional(context.Background(), fq, input("tasks:all")); err != nil {
		t.Errorf("unconditional residual refused: %v", err)
	}
	// An empty conversion of a conditional residual must never become
	// "every row".
	if err := confirmUnconditional(context.Background(), fq, input("tasks:mixed")); err == nil {
		t.Error("conditional residual confirmed as unconditional")
	}
	if err := confirmUnconditional(context.Background(), fq, input("tasks:none")); err == nil {
		t.Error("empty residual confirmed as unconditional")
	}
}
