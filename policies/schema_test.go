package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/warden-authz/warden"
)

// inputSchemaFile is the schema `opa check --schema` types input with
// (scripts/check-policies.sh) and the security team's reference.
const inputSchemaFile = "schemas/input.json"

func inputSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(inputSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", inputSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(inputSchemaFile, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(inputSchemaFile)
	if err != nil {
		t.Fatalf("compile %s: %v", inputSchemaFile, err)
	}
	return sch
}

// document is the input the engine evaluates, as JSON values.
func document(t *testing.T, v ast.Value) any {
	t.Helper()
	doc, err := ast.JSON(v)
	if err != nil {
		t.Fatalf("convert input: %v", err)
	}
	return doc
}

// filterInput is the input Filter partially evaluates: the subject without
// its profile fields.
func filterInput(s *warden.Subject, action string) ast.Value {
	items := [][2]*ast.Term{ast.Item(ast.StringTerm("action"), ast.StringTerm(action))}
	if s != nil {
		items = append(items, ast.Item(ast.StringTerm("subject"), ast.NewTerm(subjectValue(s, false))))
	}
	return ast.NewObject(items...)
}

func TestInputDocumentsMatchSchema(t *testing.T) {
	sch := inputSchema(t)
	var (
		member    = &warden.Subject{ID: "alice", Email: "alice@example.com", Name: "Alice", Tenant: "t1", TenantRoles: []string{"member"}}
		multi     = &warden.Subject{ID: "ada", Tenant: "t1", TenantRoles: []string{"admin", "member"}, Roles: []string{"user"}, Permissions: []string{"tasks:bulk", "reports:read"}}
		personal  = &warden.Subject{ID: "sam", Email: "sam@example.com", Tenant: warden.PersonalTenant("sam"), TenantRoles: []string{"owner"}, Personal: true}
		platform  = &warden.Subject{ID: "root", Tenant: "t9", Roles: []string{"admin"}}
		nonMember = &warden.Subject{ID: "gus", Tenant: "t1"}
		bare      = &warden.Subject{ID: "nobody"}
	)
	decide := func(s *warden.Subject, action string, r warden.Resource, method, route string) ast.Value {
		return inputValue(warden.AuthzRequest{Subject: s, Action: action, Resource: r, Method: method, Route: route})
	}
	tests := []struct {
		name  string
		input ast.Value
	}{
		{"anonymous list of posts", decide(nil, "posts:list", warden.Resource{Type: "post"}, "GET", "/api/posts")},
		{"anonymous public post", decide(nil, "posts:read", postOf("t1", "alice", true), "GET", "/api/posts/:id")},
		{"anonymous without request", decide(nil, "posts:list", warden.Resource{}, "", "")},
		{"me without resource", decide(member, "me:read", warden.Resource{}, "GET", "/api/me")},
		{"route guard", decide(member, "moderation:access", warden.Resource{Type: "route"}, "GET", "/api/moderator/reports")},
		{"task list guard", decide(multi, "tasks:list", warden.Resource{Type: "route"}, "GET", "/api/tasks")},
		{"new task", decide(member, "tasks:create", warden.Resource{Type: "task", TenantID: "t1", OwnerID: "alice"}, "POST", "/api/tasks")},
		{"task row", decide(member, "tasks:update", taskOf("t1", "alice"), "PATCH", "/api/tasks/:id")},
		{"task replace", decide(multi, "tasks:update", taskOf("t1", "bob"), "PUT", "/api/tasks/:id")},
		{"task delete", decide(multi, "tasks:delete", taskOf("t1", "bob"), "DELETE", "/api/tasks/:id")},
		{"bulk create", decide(member, "tasks:bulk_create", warden.Resource{Type: "task", TenantID: "t1", OwnerID: "alice", Count: 100}, "POST", "/api/tasks/bulk")},
		{"bulk import", decide(multi, "tasks:import", warden.Resource{Type: "task", TenantID: "t1", OwnerID: "ada", Count: 1000}, "POST", "/api/tasks/bulk-import")},
		{"bulk delete", decide(member, "tasks:bulk_delete", warden.Resource{Type: "task", TenantID: "t1", OwnerID: "alice"}, "DELETE", "/api/tasks/bulk")},
		{"bulk complete", decide(member, "tasks:bulk_complete", warden.Resource{Type: "task", TenantID: "t1", OwnerID: "alice"}, "PATCH", "/api/tasks/bulk/complete")},
		{"private post", decide(member, "posts:update", postOf("t1", "alice", false), "PATCH", "/api/posts/:id")},
		{"new post", decide(member, "posts:create", warden.Resource{Type: "post", TenantID: "t1", OwnerID: "alice"}, "POST", "/api/posts")},
		{"new report", decide(member, "reports:create", warden.Resource{Type: "report", TenantID: "t1", OwnerID: "alice"}, "POST", "/api/reports")},
		{"report list", decide(multi, "reports:read", warden.Resource{Type: "report", TenantID: "t1"}, "GET", "/api/moderator/reports")},
		{"report row", decide(multi, "reports:resolve", reportOf("t1"), "PATCH", "/api/moderator/reports/:id")},
		{"resolved report", decide(multi, "reports:read", warden.Resource{Type: "report", ID: 9, TenantID: "t1", OwnerID: "bob", Status: warden.ReportDismissed}, "POST", "/api/me/can")},
		{"personal tenant", decide(personal, "tasks:create", warden.Resource{Type: "task", TenantID: "user:sam", OwnerID: "sam"}, "POST", "/api/tasks")},
		{"platform admin, every tenant", decide(platform, "stats:read", warden.Resource{Type: "tenant", TenantID: "*"}, "GET", "/api/admin/stats")},
		{"tenant admin, own tenant", decide(multi, "users:read", warden.Resource{Type: "tenant", TenantID: "t1"}, "GET", "/api/admin/users")},
		{"tenant claim without role", decide(nonMember, "tasks:read", taskOf("t1", "gus"), "GET", "/api/tasks/:id")},
		{"subject without tenant", decide(bare, "me:read", warden.Resource{}, "GET", "/api/me")},
		{"unknown action", decide(member, "tasks:frobnicate", warden.Resource{Type: "task"}, "POST", "/api/me/can")},
		{"filter tasks", filterInput(multi, "tasks:list")},
		{"filter personal", filterInput(personal, "tasks:bulk_delete")},
		{"filter anonymous", filterInput(nil, "posts:read")},
		{"filter reports", filterInput(nonMember, "reports:read")},
	}
	types := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := document(t, tt.input)
			if err := sch.Validate(doc); err != nil {
				t.Errorf("input %v does not match %s:\n%v", tt.input, inputSchemaFile, err)
			}
		})
		if r := tt.input.(ast.Object).Get(ast.StringTerm("resource")); r != nil {
			if typ := r.Value.(ast.Object).Get(ast.StringTerm("type")); typ != nil {
				types[string(typ.Value.(ast.String))] = true
			}
		}
	}
	for _, typ := range []string{"task", "post", "report", "route", "tenant"} {
		if !types[typ] {
			t.Errorf("no case with resource type %q", typ)
		}
	}
}

func TestSchemaRefusesMisspeltDocuments(t *testing.T) {
	sch := inputSchema(t)
	valid := func() map[string]any {
		return map[string]any{
			"action": "tasks:update",
			"subject": map[string]any{
				"id": "alice", "email": "alice@example.com", "name": "Alice", "tenant": "t1",
				"tenant_roles": []any{"member"}, "roles": []any{"user"}, "permissions": []any{"tasks:read"}, "personal": true,
			},
			"resource": map[string]any{
				"type": "task", "id": json.Number("42"), "tenant_id": "t1", "owner_id": "alice",
				"is_public": false, "status": "open", "count": json.Number("3"),
			},
			"request": map[string]any{"method": "PATCH", "route": "/api/tasks/:id"},
		}
	}
	if err := sch.Validate(valid()); err != nil {
		t.Fatalf("the base document must be valid: %v", err)
	}
	set := func(path string, v any) func(map[string]any) {
		return func(doc map[string]any) {
			parts := strings.Split(path, ".")
			m := doc
			for _, p := range parts[:len(parts)-1] {
				m = m[p].(map[string]any)
			}
			if v == nil {
				delete(m, parts[len(parts)-1])
			} else {
				m[parts[len(parts)-1]] = v
			}
		}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
	}{
		{"root field misspelt", set("actoin", "tasks:update")},
		{"action missing", set("action", nil)},
		{"action empty", set("action", "")},
		{"subject field misspelt", set("subject.tenat", "t1")},
		{"subject id missing", set("subject.id", nil)},
		{"roles as Better Auth's unsplit string", set("subject.tenant_roles", "admin,member")},
		{"empty string left in", set("subject.email", "")},
		{"empty list left in", set("subject.permissions", []any{})},
		{"personal not a boolean", set("subject.personal", "yes")},
		{"resource field misspelt", set("resource.tenant", "t1")},
		{"resource owner misspelt", set("resource.owner", "alice")},
		{"resource type plural", set("resource.type", "tasks")},
		{"resource id a string", set("resource.id", "42")},
		{"resource id zero", set("resource.id", json.Number("0"))},
		{"report status unknown", set("resource.status", "closed")},
		{"count negative", set("resource.count", json.Number("-1"))},
		{"request field misspelt", set("request.path", "/api/tasks")},
		{"request method lower case", set("request.method", "patch")},
		{"row of another table", set("users", map[string]any{"tenant_id": "t1"})},
		{"filter row column misspelt", set("tasks", map[string]any{"owner": "alice"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := valid()
			tt.change(doc)
			if err := sch.Validate(doc); err == nil {
				b, _ := json.Marshal(doc)
				t.Errorf("%s accepted %s", inputSchemaFile, b)
			}
		})
	}
}

// TestSchemaTypesInput runs the type checker as `opa check --strict --schema
// schemas/input.json` does: the schema, loaded by the same loader, types input
// in every module, so a misspelt field is a compile error.
func TestSchemaTypesInput(t *testing.T) {
	schemas, err := loader.Schemas(inputSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loader.NewFileLoader().
		WithFS(Bundle()).
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		Filtered([]string{"."}, skipNonPolicy)
	if err != nil {
		t.Fatal(err)
	}
	compile := func(t *testing.T, withSchema bool, extra string) ast.Errors {
		t.Helper()
		modules := res.ParsedModules()
		if extra != "" {
			m, err := ast.ParseModuleWithOpts("extra.rego", "package warden.authz\n\n"+extra, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			modules["extra.rego"] = m
		}
		c := ast.NewCompiler().WithStrict(true)
		if withSchema {
			c = c.WithSchemas(schemas)
		}
		c.Compile(modules)
		return c.Errors
	}
	if errs := compile(t, true, ""); len(errs) > 0 {
		t.Fatalf("the policy does not type-check against %s: %v", inputSchemaFile, errs)
	}
	tests := []struct {
		name, rule, want string
	}{
		{"subject field", `_typo if input.subject.tenat == "t1"`, "undefined ref: input.subject.tenat"},
		{"resource field", `_typo if input.resource.owner == "alice"`, "undefined ref: input.resource.owner"},
		{"request field", `_typo if input.request.path == "/api/tasks"`, "undefined ref: input.request.path"},
		{"root field", `_typo if input.actoin == "tasks:read"`, "undefined ref: input.actoin"},
		{"filter row column", `_typo if input.tasks.user_id == "alice"`, "undefined ref: input.tasks.user_id"},
		{"through a rule", `_typo if _resource.tenant == "t1"`, "undefined ref: data.warden.authz._resource.tenant"},
		{"wrong type", `_typo if startswith(input.resource.id, "4")`, "rego_type_error: startswith: invalid argument(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := compile(t, true, tt.rule)
			if len(errs) == 0 || !strings.Contains(errs.Error(), tt.want) {
				t.Errorf("with the schema: got %v, want an error with %q", errs, tt.want)
			}
			// Without the schema input is untyped: the schema is what
			// catches the mistake.
			if errs := compile(t, false, tt.rule); len(errs) > 0 {
				t.Errorf("without the schema: got %v, want no error", errs)
			}
		})
	}
}

// The examples in examples/ are documents the engine really builds; README.md
// shows what `warden policy eval` answers for them.
func examples() []struct {
	file string
	req  warden.AuthzRequest
	want warden.Decision
} {
	alice := &warden.Subject{ID: "alice", Email: "alice@example.com", Name: "Alice", Tenant: "t1", TenantRoles: []string{"member"}}
	bob := &warden.Subject{ID: "bob", Tenant: "t1", TenantRoles: []string{"member"}}
	mo := &warden.Subject{ID: "mo", Tenant: "t1", TenantRoles: []string{"moderator"}}
	eve := &warden.Subject{ID: "eve", Tenant: "t2", TenantRoles: []string{"admin"}}
	root := &warden.Subject{ID: "root", Tenant: "t9", Roles: []string{"admin"}}
	sam := &warden.Subject{ID: "sam", Email: "sam@example.com", Tenant: warden.PersonalTenant("sam"), TenantRoles: []string{"owner"}, Personal: true}
	task := warden.Resource{Type: "task", ID: 42, TenantID: "t1", OwnerID: "alice"}
	return []struct {
		file string
		req  warden.AuthzRequest
		want warden.Decision
	}{
		{
			"owner-updates-task.json",
			warden.AuthzRequest{Subject: alice, Action: "tasks:update", Resource: task, Method: "PATCH", Route: "/api/tasks/:id"},
			warden.Decision{Allow: true, Visible: true, Reasons: []string{}},
		},
		{
			"member-updates-others-task.json",
			warden.AuthzRequest{Subject: bob, Action: "tasks:update", Resource: task, Method: "PATCH", Route: "/api/tasks/:id"},
			warden.Decision{Reasons: []string{"resource not visible"}},
		},
		{
			"other-tenant-reads-task.json",
			warden.AuthzRequest{Subject: eve, Action: "tasks:read", Resource: task, Method: "GET", Route: "/api/tasks/:id"},
			warden.Decision{Reasons: []string{"resource belongs to another tenant", "resource not visible"}},
		},
		{
			"member-bulk-imports.json",
			warden.AuthzRequest{Subject: alice, Action: "tasks:import", Method: "POST", Route: "/api/tasks/bulk-import",
				Resource: warden.Resource{Type: "task", TenantID: "t1", OwnerID: "alice", Count: 250}},
			warden.Decision{Visible: true, Reasons: []string{"missing permissions: [tasks:bulk]"}},
		},
		{
			"member-opens-moderation.json",
			warden.AuthzRequest{Subject: alice, Action: "moderation:access", Resource: warden.Resource{Type: "route"}, Method: "GET", Route: "/api/moderator/reports"},
			warden.Decision{Visible: true, Reasons: []string{"one of roles [admin moderator owner] required"}},
		},
		{
			"moderator-resolves-report.json",
			warden.AuthzRequest{Subject: mo, Action: "reports:resolve", Method: "PATCH", Route: "/api/moderator/reports/:id",
				Resource: warden.Resource{Type: "report", ID: 7, TenantID: "t1", OwnerID: "bob", Status: warden.ReportOpen}},
			warden.Decision{Allow: true, Visible: true, Reasons: []string{}},
		},
		{
			"anonymous-reads-public-post.json",
			warden.AuthzRequest{Action: "posts:read", Method: "GET", Route: "/api/posts/:id",
				Resource: warden.Resource{Type: "post", ID: 3, TenantID: "t1", OwnerID: "alice", IsPublic: ptr(true)}},
			warden.Decision{Allow: true, Visible: true, Reasons: []string{}},
		},
		{
			"personal-creates-task.json",
			warden.AuthzRequest{Subject: sam, Action: "tasks:create", Method: "POST", Route: "/api/tasks",
				Resource: warden.Resource{Type: "task", TenantID: "user:sam", OwnerID: "sam"}},
			warden.Decision{Allow: true, Visible: true, Reasons: []string{}},
		},
		{
			"platform-admin-reads-stats.json",
			warden.AuthzRequest{Subject: root, Action: "stats:read", Method: "GET", Route: "/api/admin/stats",
				Resource: warden.Resource{Type: "tenant", TenantID: "*"}},
			warden.Decision{Allow: true, Visible: true, Reasons: []string{}},
		},
	}
}

func TestExamples(t *testing.T) {
	sch := inputSchema(t)
	e := embedded(t)
	files, err := filepath.Glob("examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for _, ex := range examples() {
		named = append(named, filepath.Join("examples", ex.file))
		t.Run(ex.file, func(t *testing.T) {
			want := document(t, inputValue(ex.req))
			b, err := os.ReadFile(filepath.Join("examples", ex.file))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var got map[string]any
			if err := dec.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, any(got)); diff != "" {
				out, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("examples/%s is not what the engine builds (-engine +file):\n%s\nthe engine builds:\n%s", ex.file, diff, out)
			}
			if err := sch.Validate(any(got)); err != nil {
				t.Errorf("examples/%s does not match %s: %v", ex.file, inputSchemaFile, err)
			}
			d, err := e.EvalDocument(context.Background(), got)
			if err != nil {
				t.Fatal(err)
			}
			d.ID, d.Revision = "", ""
			if diff := cmp.Diff(ex.want, d); diff != "" {
				t.Errorf("decision for examples/%s (-want +got):\n%s", ex.file, diff)
			}
			// The service decides the same request the same way.
			d = e.Decide(context.Background(), ex.req)
			d.ID, d.Revision = "", ""
			if diff := cmp.Diff(ex.want, d); diff != "" {
				t.Errorf("Decide for examples/%s (-want +got):\n%s", ex.file, diff)
			}
		})
	}
	slices.Sort(files)
	slices.Sort(named)
	if diff := cmp.Diff(named, files); diff != "" {
		t.Errorf("examples/*.json and the table differ (-table +files):\n%s", diff)
	}
}

// TestEngineTypeChecksAgainstSchema shows the running service applies the same
// schema as `opa check`: a policy directory whose Rego misspells an input field
// is refused at start-up, so a hot reload can never bring such a typo in.
func TestEngineTypeChecksAgainstSchema(t *testing.T) {
	dir := copyBundle(t)
	good, err := New(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("copy of the bundle: %v", err)
	}
	good.Close()
	typo := "package warden.authz\n\n# METADATA\n# title: Typo\n_typo if input.subject.tenat == \"acme\"\n"
	writeFile(t, dir, "warden/authz/typo.rego", typo)
	_, err = New(t.Context(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "tenat") {
		t.Fatalf("New with a misspelt input field: err = %v, want a type error naming tenat", err)
	}
}
