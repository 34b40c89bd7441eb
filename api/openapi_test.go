package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-authz/warden/api"
)

func mustOpenAPI(t *testing.T) *openAPISpec {
	t.Helper()
	spec, err := loadOpenAPI()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return spec
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// TestOpenAPIRoutesMatchServer keeps the document and the router in step: every
// registered route is documented and every documented operation is registered.
func TestOpenAPIRoutesMatchServer(t *testing.T) {
	spec := mustOpenAPI(t)
	// Empty dependencies are enough to build the router; a registry adds /metrics.
	s, err := api.NewServer(api.Deps{Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for _, o := range spec.ops {
		documented[o.method+" "+o.template] = true
	}
	for _, r := range slices.Sorted(maps.Keys(registered)) {
		if !documented[r] {
			t.Errorf("route %s is registered but not in openapi.json", r)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(documented)) {
		if !registered[d] {
			t.Errorf("openapi.json documents %s, which is not a registered route", d)
		}
	}
	if len(registered) < 29 {
		t.Errorf("got %d registered routes, want at least the 29 of the contract", len(registered))
	}
}

// TestOpenAPIServed checks GET /openapi.json answers the embedded document byte
// for byte.
func TestOpenAPIServed(t *testing.T) {
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.NewServer(api.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("served document (%d bytes) differs from api/openapi.json (%d bytes)", len(got), len(want))
	}
	checkResponse(t, "GET", "/openapi.json", resp.StatusCode, resp.Header, got)
}

// TestOpenAPIDocument checks the rules the document promises its readers.
func TestOpenAPIDocument(t *testing.T) {
	spec := mustOpenAPI(t)
	doc := spec.doc
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	// A second reader of the structure (path parameters declared, operation ids,
	// examples against their schemas); the schemas themselves are compiled by
	// loadOpenAPI with a JSON Schema 2020-12 compiler.
	kin, err := openapi3.NewLoader().LoadFromFile("openapi.json")
	if err != nil {
		t.Fatalf("kin-openapi load: %v", err)
	}
	if !kin.IsOpenAPI31OrLater() {
		t.Error("kin-openapi does not read the document as OpenAPI 3.1")
	}
	if err := kin.Validate(context.Background()); err != nil {
		t.Errorf("kin-openapi: %v", err)
	}
	walkRefs(t, spec, doc, "")
	if got := jsonString(doc["security"]); got != `[{"bearerAuth":[]}]` {
		t.Errorf("global security = %s, want bearerAuth", got)
	}
	scheme, _, err := spec.deref("/components/securitySchemes/bearerAuth")
	if err != nil || scheme["type"] != "http" || scheme["scheme"] != "bearer" || scheme["bearerFormat"] != "JWT" {
		t.Errorf("bearerAuth = %v (%v), want http bearer JWT", scheme, err)
	}
	for _, name := range []string{"NotFound", "MethodNotAllowed"} {
		if _, _, err := spec.deref("/components/responses/" + name); err != nil {
			t.Errorf("components.responses.%s: %v", name, err)
		}
	}

	optional := map[string]bool{"GET /api/public": true, "GET /api/posts": true, "GET /api/posts/{id}": true}
	open := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /openapi.json": true, "GET /metrics": true}
	actions := goStringLiterals(t)
	ids := map[string]string{}
	for _, o := range spec.ops {
		name := o.method + " " + o.template
		t.Run(name, func(t *testing.T) {
			id, _ := o.op["operationId"].(string)
			if id == "" {
				t.Error("no operationId")
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %s also used by %s", id, prev)
			}
			ids[id] = name
			for _, k := range []string{"summary", "description"} {
				if s, _ := o.op[k].(string); s == "" {
					t.Errorf("no %s", k)
				}
			}
			if tags, _ := o.op["tags"].([]any); len(tags) == 0 {
				t.Error("no tags")
			}

			sec, hasSec := o.op["security"]
			switch {
			case optional[name]:
				if got := jsonString(sec); got != `[{},{"bearerAuth":[]}]` {
					t.Errorf("security = %s, want optional bearerAuth", got)
				}
			case open[name]:
				if got := jsonString(sec); got != `[]` {
					t.Errorf("security = %s, want []", got)
				}
			case hasSec:
				t.Errorf("security = %s, want the global bearerAuth", jsonString(sec))
			}

			authz, _ := o.op["x-warden-authz"].(map[string]any)
			if req, _ := authz["requires"].(string); req == "" {
				t.Errorf("x-warden-authz = %v, want requires", authz)
			}
			for _, k := range []string{"action", "guard", "filter"} {
				if a, ok := authz[k].(string); ok && !actions[a] {
					t.Errorf("x-warden-authz.%s %q is not an action the handlers ask about", k, a)
				}
			}
			if strings.HasPrefix(o.template, "/api/") && o.template != "/api/me" &&
				!strings.HasPrefix(o.template, "/api/me/") && o.template != "/api/public" {
				if _, ok := authz["action"].(string); !ok {
					t.Errorf("x-warden-authz = %v, want the action decided", authz)
				}
			}

			checkPathParams(t, spec, o)
			checkResponses(t, spec, o)
		})
	}
}

// checkPathParams requires each {name} of the template to be a required path
// parameter; {id} is a positive integer.
func checkPathParams(t *testing.T, spec *openAPISpec, o openAPIOperation) {
	t.Helper()
	declared := map[string]map[string]any{}
	params, _ := o.op["parameters"].([]any)
	for i := range params {
		p, _, err := spec.deref(o.ptr + "/parameters/" + strconv.Itoa(i))
		if err != nil {
			t.Error(err)
			continue
		}
		if p["in"] == "path" {
			declared[p["name"].(string)] = p
		}
	}
	for _, seg := range o.segments {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}")
		p, ok := declared[name]
		if !ok {
			t.Errorf("path parameter %s is not declared", name)
			continue
		}
		if p["required"] != true {
			t.Errorf("path parameter %s is not required", name)
		}
		if name == "id" {
			if got := jsonString(p["schema"]); !strings.Contains(got, `"minimum":1`) || !strings.Contains(got, `"type":"integer"`) {
				t.Errorf("{id} schema = %s, want an integer, minimum 1", got)
			}
		}
		delete(declared, name)
	}
	for name := range declared {
		t.Errorf("path parameter %s is not in the template", name)
	}
}

// checkResponses requires the statuses every route of its kind can produce and
// one problem schema for every error.
func checkResponses(t *testing.T, spec *openAPISpec, o openAPIOperation) {
	t.Helper()
	rs, _ := o.op["responses"].(map[string]any)
	want := []string{}
	if strings.HasPrefix(o.template, "/api/") {
		want = append(want, "401", "500", "503")
	}
	if _, ok := o.op["requestBody"]; ok {
		want = append(want, "400", "413", "422")
	}
	if strings.Contains(o.template, "{id}") {
		want = append(want, "404", "422")
	}
	for _, code := range want {
		if _, ok := rs[code]; !ok {
			t.Errorf("status %s is not documented", code)
		}
	}
	success := 0
	for _, code := range sortedMapKeys(rs) {
		r, ptr, err := spec.deref(o.ptr + "/responses/" + code)
		if err != nil {
			t.Error(err)
			continue
		}
		hdrs, _ := r["headers"].(map[string]any)
		if _, ok := hdrs["X-Request-Id"]; !ok {
			t.Errorf("%s: no X-Request-Id header", code)
		}
		n, _ := strconv.Atoi(code)
		if n < 400 {
			success++
		}
		if n == http.StatusCreated && (o.template == "/api/tasks" || o.template == "/api/posts") {
			if _, ok := hdrs["Location"]; !ok {
				t.Errorf("201: no Location header")
			}
		}
		if n == http.StatusServiceUnavailable {
			if _, ok := hdrs["Retry-After"]; !ok {
				t.Errorf("503: no Retry-After header")
			}
		}
		if n == http.StatusUnauthorized {
			if _, ok := hdrs["WWW-Authenticate"]; !ok {
				t.Errorf("401: no WWW-Authenticate header")
			}
		}
		if n < 400 || o.template == "/readyz" {
			continue
		}
		content, _ := r["content"].(map[string]any)
		media, ok := content["application/problem+json"].(map[string]any)
		if len(content) != 1 || !ok {
			t.Errorf("%s: content %v, want application/problem+json only", code, sortedMapKeys(content))
			continue
		}
		sch, _ := media["schema"].(map[string]any)
		if sch["$ref"] != "#/components/schemas/Problem" {
			t.Errorf("%s (%s): schema %s, want the Problem schema", code, ptr, jsonString(sch))
		}
	}
	if success == 0 {
		t.Error("no success response")
	}
}

// walkRefs requires every local reference to resolve.
func walkRefs(t *testing.T, spec *openAPISpec, v any, at string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			if !strings.HasPrefix(r, "#/") {
				t.Errorf("%s: $ref %q is not local", at, r)
			} else if _, err := spec.lookup(strings.TrimPrefix(r, "#")); err != nil {
				t.Errorf("%s: $ref %q: %v", at, r, err)
			}
		}
		for k, e := range x {
			walkRefs(t, spec, e, at+"/"+escapePointer(k))
		}
	case []any:
		for i, e := range x {
			walkRefs(t, spec, e, at+"/"+strconv.Itoa(i))
		}
	}
}

// goStringLiterals collects the "resource:action" string literals of the
// package's source, so the document names only actions the handlers ask about.
func goStringLiterals(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lit := regexp.MustCompile(`"([a-z_]+:[a-z_]+)"`)
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllSubmatch(src, -1) {
			out[string(m[1])] = true
		}
	}
	return out
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// TestOpenAPICheckResponseCatchesDrift makes sure the response checker fails
// what it should: a checker that passes everything would prove nothing.
func TestOpenAPICheckResponseCatchesDrift(t *testing.T) {
	spec := mustOpenAPI(t)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		h.Set("X-Request-Id", "abc123")
		h.Set("Server-Timing", "jwt;dur=0.100, authz;dur=0.020, db;dur=1.000")
		h.Set("Content-Type", "application/json; charset=utf-8")
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				h.Del(kv[i])
			} else {
				h.Set(kv[i], kv[i+1])
			}
		}
		return h
	}
	task := `{"id":1,"title":"a","description":null,"completed":false,"priority":"medium","due_date":null,"user_id":"alice","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00.123456Z"}`
	prob := func(status int, code string) string {
		return fmt.Sprintf(`{"type":"urn:warden:problem:%s","title":"x","status":%d,"detail":"d","request_id":"abc123"}`, code, status)
	}
	ph := hdr("Content-Type", "application/problem+json")
	tests := []struct {
		name   string
		method string
		path   string
		status int
		header http.Header
		body   string
		ok     bool
	}{
		{"task conforms", "GET", "/api/tasks/1", 200, hdr(), task, true},
		{"query is ignored for matching", "GET", "/api/tasks?limit=5", 200, hdr(), "[" + task + "]", true},
		{"undocumented status", "GET", "/api/tasks/1", 418, hdr(), task, false},
		{"missing X-Request-Id", "GET", "/api/tasks/1", 200, hdr("X-Request-Id", ""), task, false},
		{"bad X-Request-Id", "GET", "/api/tasks/1", 200, hdr("X-Request-Id", "a b"), task, false},
		{"missing Server-Timing", "GET", "/api/tasks/1", 200, hdr("Server-Timing", ""), task, false},
		{"wrong content type", "GET", "/api/tasks/1", 200, hdr("Content-Type", "text/html"), task, false},
		{"missing member", "GET", "/api/tasks/1", 200, hdr(), strings.Replace(task, `"user_id":"alice",`, "", 1), false},
		{"extra member", "GET", "/api/tasks/1", 200, hdr(), strings.Replace(task, `{"id":1,`, `{"id":1,"tenant":"acme",`, 1), false},
		{"bad enum", "GET", "/api/tasks/1", 200, hdr(), strings.Replace(task, `"medium"`, `"urgent"`, 1), false},
		{"bad date-time", "GET", "/api/tasks/1", 200, hdr(), strings.Replace(task, `"2026-01-01T00:00:00Z"`, `"yesterday"`, 1), false},
		{"not json", "GET", "/api/tasks/1", 200, hdr(), `{`, false},
		{"problem conforms", "GET", "/api/tasks/1", 404, ph, prob(404, "not_found"), true},
		{"problem as json", "GET", "/api/tasks/1", 404, hdr(), prob(404, "not_found"), false},
		{"problem status differs from HTTP", "GET", "/api/tasks/1", 404, ph, prob(422, "not_found"), false},
		{"problem type differs from HTTP", "GET", "/api/tasks/1", 404, ph, prob(404, "invalid"), false},
		{"problem without request_id", "GET", "/api/tasks/1", 404, ph, strings.Replace(prob(404, "not_found"), `,"request_id":"abc123"`, "", 1), false},
		{"401 with challenge", "GET", "/api/me", 401, hdr("Content-Type", "application/problem+json", "WWW-Authenticate", `Bearer error="invalid_token"`), prob(401, "unauthenticated"), true},
		{"401 without challenge", "GET", "/api/me", 401, ph, prob(401, "unauthenticated"), false},
		{"503 without Retry-After", "GET", "/api/me", 503, ph, prob(503, "unavailable"), false},
		{"201 without Location", "POST", "/api/tasks", 201, hdr(), task, false},
		{"201 with Location", "POST", "/api/tasks", 201, hdr("Location", "/api/tasks/1"), task, true},
		{"204 without body", "DELETE", "/api/tasks/1", 204, hdr("Content-Type", ""), "", true},
		{"204 with body", "DELETE", "/api/tasks/1", 204, hdr(), task, false},
		{"unknown path is 404", "GET", "/api/nothing", 404, ph, prob(404, "not_found"), true},
		{"unknown path answering 200", "GET", "/api/nothing", 200, hdr(), `{}`, false},
		{"empty {id} segment is no match", "GET", "/api/tasks/", 404, ph, prob(404, "not_found"), true},
		{"other method is 405", "PUT", "/api/public", 405, hdr("Content-Type", "application/problem+json", "Allow", "GET"), prob(405, "method_not_allowed"), true},
		{"405 with wrong Allow", "POST", "/api/tasks/5", 405, hdr("Content-Type", "application/problem+json", "Allow", "GET, PUT"), prob(405, "method_not_allowed"), false},
		{"405 without Allow", "PUT", "/api/public", 405, ph, prob(405, "method_not_allowed"), false},
		{"other method answering 404", "PUT", "/api/public", 404, ph, prob(404, "not_found"), false},
		{"static segment wins over {id}", "GET", "/api/tasks/paginated", 200, hdr(), task, false},
		{"{id} takes what no static route of the method has", "PATCH", "/api/tasks/bulk", 422, ph, prob(422, "invalid"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := spec.responseProblems(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			if tt.ok && len(probs) > 0 {
				t.Errorf("got problems %q, want none", probs)
			} else if !tt.ok && len(probs) == 0 {
				t.Error("got no problem, want one")
			}
		})
	}
}

// openAPIRun sends requests, checks each response against the document and
// records which operations answered with success.
type openAPIRun struct {
	e       *env
	spec    *openAPISpec
	success map[string]bool
}

func (r *openAPIRun) must(want int, method, path, token string, body any) response {
	r.e.t.Helper()
	resp := r.e.must(want, method, path, token, body)
	r.check(method, path, resp)
	return resp
}

func (r *openAPIRun) check(method, path string, resp response) {
	r.e.t.Helper()
	checkResponse(r.e.t, method, path, resp.status, resp.header, resp.body)
	u, err := url.Parse(path)
	if err != nil {
		r.e.t.Fatal(err)
	}
	if op, _ := r.spec.match(method, u.Path); op != nil && resp.status < 300 {
		r.success[op.method+" "+op.template] = true
	}
}

// TestOpenAPIResponsesConform drives every documented operation and the usual
// failures over real HTTP and validates each response against the document.
func TestOpenAPIResponsesConform(t *testing.T) {
	e := newEnv(t)
	r := &openAPIRun{e: e, spec: mustOpenAPI(t), success: map[string]bool{}}
	owner := e.member("olga", "acme", "owner")
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	mod := e.member("mona", "acme", "moderator")
	stranger := e.member("sam", "globex", "member")
	reader := e.token(map[string]any{"sub": "rita", "org_id": "acme", "org_role": "member", "permissions": []string{"tasks:read"}})
	roleless := e.token(map[string]any{"sub": "nina", "org_id": "acme"})
	root := e.token(map[string]any{"sub": "root", "role": "admin"})

	r.must(200, "GET", "/healthz", "", nil)
	r.must(200, "GET", "/readyz", "", nil)
	r.must(200, "GET", "/openapi.json", "", nil)
	r.must(200, "GET", "/metrics", "", nil)

	r.must(200, "GET", "/api/public", "", nil)
	r.must(200, "GET", "/api/public", alice, nil)
	r.must(401, "GET", "/api/public", "not.a.jwt", nil)
	r.must(200, "GET", "/api/me", alice, nil)
	r.must(200, "GET", "/api/me", root, nil)
	r.must(401, "GET", "/api/me", "", nil)
	r.must(200, "GET", "/api/me/permissions", owner, nil)
	r.must(200, "GET", "/api/me/permissions", roleless, nil)

	var tk taskJSON
	r.must(201, "POST", "/api/tasks", alice, map[string]any{"title": "a", "description": "d", "due_date": "2026-12-31T17:00:00+01:00"}).json(t, &tk)
	tkPath := fmt.Sprintf("/api/tasks/%d", tk.ID)
	r.must(201, "POST", "/api/tasks/bulk", alice, []map[string]any{{"title": "b"}, {"title": "c", "completed": true, "priority": "high"}})
	r.must(403, "POST", "/api/tasks/bulk-import", alice, []map[string]any{{"title": "x"}})
	r.must(201, "POST", "/api/tasks/bulk-import", owner, []map[string]any{{"title": "x"}, {"title": "y"}})
	r.must(422, "POST", "/api/tasks/bulk", alice, []map[string]any{{"title": "ok"}, {"title": ""}, {"title": "z", "id": 3}})
	r.must(200, "GET", "/api/tasks", alice, nil)
	r.must(200, "GET", "/api/tasks?priority=high&completed=true&search=c&limit=5&skip=0", owner, nil)
	r.must(422, "GET", "/api/tasks?colour=red&limit=0", alice, nil)
	r.must(403, "GET", "/api/tasks", roleless, nil)
	var page pageJSON
	r.must(200, "GET", "/api/tasks/paginated?page_size=1", alice, nil).json(t, &page)
	if page.NextCursor == nil {
		t.Fatal("next_cursor = null on page 1 of 3, want a cursor")
	}
	r.must(200, "GET", "/api/tasks/paginated?page_size=1&cursor="+url.QueryEscape(*page.NextCursor), alice, nil)
	r.must(200, "GET", "/api/tasks/paginated?page=99", alice, nil)
	r.must(422, "GET", "/api/tasks/paginated?page=0", alice, nil)
	r.must(200, "GET", tkPath, alice, nil)
	r.must(200, "GET", tkPath, reader, nil)
	r.must(404, "GET", tkPath, stranger, nil)
	r.must(404, "GET", "/api/tasks/999999", alice, nil)
	r.must(422, "GET", "/api/tasks/abc", alice, nil)
	r.must(200, "PATCH", tkPath, alice, map[string]any{"completed": true, "description": nil})
	r.must(403, "PATCH", tkPath, reader, map[string]any{"completed": false})
	r.must(422, "PATCH", tkPath, alice, map[string]any{})
	r.must(400, "PATCH", tkPath, alice, `{"title":`)
	r.must(400, "PUT", tkPath, alice, ``)
	r.must(200, "PUT", tkPath, alice, map[string]any{"title": "a2", "due_date": nil})
	r.must(413, "PUT", tkPath, alice, `{"title":"x","description":"`+strings.Repeat("a", 1<<20)+`"}`)
	r.must(403, "DELETE", tkPath, reader, nil)
	r.must(204, "DELETE", tkPath, alice, nil)
	r.must(404, "DELETE", tkPath, alice, nil)
	r.must(200, "PATCH", "/api/tasks/bulk/complete", alice, nil)
	r.must(422, "PATCH", "/api/tasks/bulk/complete?all=1", alice, nil)
	r.must(200, "DELETE", "/api/tasks/bulk", alice, nil)
	r.must(422, "PATCH", "/api/tasks/bulk", alice, map[string]any{"title": "x"})
	r.must(405, "POST", "/api/tasks/5", alice, nil)
	r.must(405, "PUT", "/api/public", alice, nil)
	r.must(404, "GET", "/api/nothing", alice, nil)
	r.must(404, "GET", "/api/tasks/", alice, nil)

	req, err := http.NewRequest("POST", e.srv.URL+"/api/tasks", strings.NewReader("title=x"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	r.check("POST", "/api/tasks", response{status: resp.StatusCode, header: resp.Header, body: raw})

	var pub, priv struct{ ID int64 }
	r.must(201, "POST", "/api/posts", alice, map[string]any{"title": "hello", "body": "world", "is_public": true}).json(t, &pub)
	r.must(201, "POST", "/api/posts", alice, map[string]any{"title": "draft"}).json(t, &priv)
	pubPath, privPath := fmt.Sprintf("/api/posts/%d", pub.ID), fmt.Sprintf("/api/posts/%d", priv.ID)
	r.must(200, "GET", "/api/posts", "", nil)
	r.must(200, "GET", "/api/posts?limit=1&skip=1", alice, nil)
	r.must(422, "GET", "/api/posts?skip=-1", "", nil)
	r.must(200, "GET", pubPath, "", nil)
	r.must(404, "GET", privPath, "", nil)
	r.must(404, "GET", privPath, bob, nil)
	r.must(200, "PATCH", pubPath, alice, map[string]any{"body": "changed"})
	r.must(403, "PATCH", pubPath, bob, map[string]any{"body": "mine now"})
	r.must(422, "POST", "/api/posts", alice, map[string]any{"title": "t", "is_public": "yes"})

	var rep struct{ ID int64 }
	r.must(201, "POST", "/api/reports", bob, map[string]any{"post_id": pub.ID, "reason": "spam"}).json(t, &rep)
	r.must(422, "POST", "/api/reports", bob, map[string]any{"post_id": priv.ID, "reason": "spam"})
	r.must(200, "GET", "/api/moderator/reports?status=open", mod, nil)
	r.must(403, "GET", "/api/moderator/reports", alice, nil)
	r.must(422, "GET", "/api/moderator/reports?status=closed", mod, nil)
	r.must(200, "PATCH", fmt.Sprintf("/api/moderator/reports/%d", rep.ID), mod, map[string]any{"status": "resolved"})
	r.must(404, "PATCH", "/api/moderator/reports/999999", mod, map[string]any{"status": "dismissed"})
	r.must(422, "PATCH", fmt.Sprintf("/api/moderator/reports/%d", rep.ID), mod, map[string]any{"status": "closed"})

	r.must(200, "POST", "/api/me/can", alice, []map[string]any{
		{"action": "posts:update", "resource": map[string]any{"type": "post", "id": pub.ID}},
		{"action": "posts:update", "resource": map[string]any{"type": "post", "id": 999999}},
		{"action": "tasks:import", "resource": map[string]any{"type": "task"}},
	})
	r.must(422, "POST", "/api/me/can", alice, []any{})
	r.must(204, "DELETE", privPath, alice, nil)

	r.must(200, "GET", "/api/admin/users", owner, nil)
	r.must(200, "GET", "/api/admin/stats", owner, nil)
	r.must(200, "GET", "/api/admin/stats", root, nil)
	r.must(403, "GET", "/api/admin/users", alice, nil)
	r.must(422, "GET", "/api/admin/stats?tenant=acme", owner, nil)

	for _, o := range r.spec.ops {
		if !r.success[o.method+" "+o.template] {
			t.Errorf("%s %s never answered with success here; add it so its schema is exercised", o.method, o.template)
		}
	}

	// A database that is gone makes the service not ready.
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	r.must(503, "GET", "/readyz", "", nil)
	r.check("GET", "/api/tasks", e.do("GET", "/api/tasks", alice, nil))
}

// TestOpenAPIRequestSchemasAgreeWithServer sends bodies the document accepts and
// bodies it refuses, and requires the server to agree with the document on each.
func TestOpenAPIRequestSchemasAgreeWithServer(t *testing.T) {
	spec := mustOpenAPI(t)
	e := newEnv(t)
	owner := e.member("olga", "acme", "owner")
	r := &openAPIRun{e: e, spec: spec, success: map[string]bool{}}

	var tk, post, rep struct{ ID int64 }
	r.must(201, "POST", "/api/tasks", owner, map[string]any{"title": "t"}).json(t, &tk)
	r.must(201, "POST", "/api/posts", owner, map[string]any{"title": "p", "is_public": true}).json(t, &post)
	r.must(201, "POST", "/api/reports", owner, map[string]any{"post_id": post.ID, "reason": "r"}).json(t, &rep)
	tasks := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"title": "t" + strconv.Itoa(i)}
		}
		return out
	}
	questions := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"action": "tasks:create", "resource": map[string]any{"type": "task"}}
		}
		return out
	}
	long := func(s string, n int) string { return strings.Repeat(s, n) }

	type body struct {
		name string
		v    any
	}
	tests := []struct {
		method, template, path string
		valid, invalid         []body
	}{
		{"POST", "/api/tasks", "/api/tasks", []body{
			{"title only", map[string]any{"title": "a"}},
			{"every member", map[string]any{"title": "a", "description": "d", "completed": true, "priority": "low", "due_date": "2026-01-02T03:04:05.5+02:00"}},
			{"nulls", map[string]any{"title": "a", "description": nil, "due_date": nil}},
			{"200 runes", map[string]any{"title": long("é", 200)}},
			{"10000 runes", map[string]any{"title": "a", "description": long("é", 10000)}},
		}, []body{
			{"no title", map[string]any{"priority": "low"}},
			{"empty title", map[string]any{"title": ""}},
			{"blank title", map[string]any{"title": "   "}},
			{"201 runes", map[string]any{"title": long("é", 201)}},
			{"null title", map[string]any{"title": nil}},
			{"number title", map[string]any{"title": 5}},
			{"10001 runes", map[string]any{"title": "a", "description": long("a", 10001)}},
			{"bad priority", map[string]any{"title": "a", "priority": "urgent"}},
			{"null priority", map[string]any{"title": "a", "priority": nil}},
			{"null completed", map[string]any{"title": "a", "completed": nil}},
			{"string completed", map[string]any{"title": "a", "completed": "yes"}},
			{"date only", map[string]any{"title": "a", "due_date": "2026-01-02"}},
			{"words for a date", map[string]any{"title": "a", "due_date": "tomorrow"}},
			{"id", map[string]any{"title": "a", "id": 1}},
			{"user_id", map[string]any{"title": "a", "user_id": "x"}},
			{"unknown", map[string]any{"title": "a", "colour": "red"}},
			{"array", []any{map[string]any{"title": "a"}}},
			{"string", "a"},
		}},
		{"PATCH", "/api/tasks/{id}", fmt.Sprintf("/api/tasks/%d", tk.ID), []body{
			{"one member", map[string]any{"completed": true}},
			{"clear nullables", map[string]any{"description": nil, "due_date": nil}},
			{"title", map[string]any{"title": "b"}},
		}, []body{
			{"empty", map[string]any{}},
			{"null title", map[string]any{"title": nil}},
			{"null completed", map[string]any{"completed": nil}},
			{"null priority", map[string]any{"priority": nil}},
			{"blank title", map[string]any{"title": " "}},
			{"created_at", map[string]any{"created_at": "2026-01-01T00:00:00Z"}},
		}},
		{"PUT", "/api/tasks/{id}", fmt.Sprintf("/api/tasks/%d", tk.ID), []body{
			{"title only", map[string]any{"title": "c"}},
		}, []body{
			{"no title", map[string]any{"description": "d"}},
		}},
		{"POST", "/api/tasks/bulk", "/api/tasks/bulk", []body{
			{"one", tasks(1)},
			{"100", tasks(100)},
		}, []body{
			{"none", tasks(0)},
			{"101", tasks(101)},
			{"bad item", []any{map[string]any{"title": "a"}, map[string]any{"title": ""}}},
			{"object", map[string]any{"title": "a"}},
		}},
		{"POST", "/api/tasks/bulk-import", "/api/tasks/bulk-import", []body{
			{"1000", tasks(1000)},
		}, []body{
			{"1001", tasks(1001)},
			{"none", tasks(0)},
		}},
		{"POST", "/api/posts", "/api/posts", []body{
			{"title only", map[string]any{"title": "p"}},
			{"every member", map[string]any{"title": "p", "body": "", "is_public": true}},
			{"20000 runes", map[string]any{"title": "p", "body": long("é", 20000)}},
		}, []body{
			{"no title", map[string]any{"body": "b"}},
			{"null body", map[string]any{"title": "p", "body": nil}},
			{"string is_public", map[string]any{"title": "p", "is_public": "yes"}},
			{"20001 runes", map[string]any{"title": "p", "body": long("a", 20001)}},
			{"user_id", map[string]any{"title": "p", "user_id": "x"}},
		}},
		{"PATCH", "/api/posts/{id}", fmt.Sprintf("/api/posts/%d", post.ID), []body{
			{"is_public", map[string]any{"is_public": true}},
			{"title", map[string]any{"title": "q"}},
		}, []body{
			{"empty", map[string]any{}},
			{"null title", map[string]any{"title": nil}},
			{"blank title", map[string]any{"title": "  "}},
			{"null is_public", map[string]any{"is_public": nil}},
		}},
		{"POST", "/api/reports", "/api/reports", []body{
			{"report", map[string]any{"post_id": post.ID, "reason": "spam"}},
			{"2000 runes", map[string]any{"post_id": post.ID, "reason": long("é", 2000)}},
		}, []body{
			{"no reason", map[string]any{"post_id": post.ID}},
			{"blank reason", map[string]any{"post_id": post.ID, "reason": "  "}},
			{"2001 runes", map[string]any{"post_id": post.ID, "reason": long("a", 2001)}},
			{"zero post_id", map[string]any{"post_id": 0, "reason": "x"}},
			{"string post_id", map[string]any{"post_id": strconv.FormatInt(post.ID, 10), "reason": "x"}},
			{"no post_id", map[string]any{"reason": "x"}},
			{"status", map[string]any{"post_id": post.ID, "reason": "x", "status": "open"}},
		}},
		{"PATCH", "/api/moderator/reports/{id}", fmt.Sprintf("/api/moderator/reports/%d", rep.ID), []body{
			{"resolved", map[string]any{"status": "resolved"}},
			{"open", map[string]any{"status": "open"}},
		}, []body{
			{"unknown status", map[string]any{"status": "closed"}},
			{"empty", map[string]any{}},
			{"null", map[string]any{"status": nil}},
			{"reason", map[string]any{"status": "open", "reason": "x"}},
		}},
		{"POST", "/api/me/can", "/api/me/can", []body{
			{"with id", []any{map[string]any{"action": "tasks:update", "resource": map[string]any{"type": "task", "id": tk.ID}}}},
			{"without id", questions(1)},
			{"100", questions(100)},
		}, []body{
			{"none", questions(0)},
			{"101", questions(101)},
			{"empty action", []any{map[string]any{"action": "", "resource": map[string]any{"type": "task"}}}},
			{"long action", []any{map[string]any{"action": long("a", 101), "resource": map[string]any{"type": "task"}}}},
			{"no resource", []any{map[string]any{"action": "tasks:create"}}},
			{"no type", []any{map[string]any{"action": "tasks:create", "resource": map[string]any{}}}},
			{"bad type", []any{map[string]any{"action": "tasks:create", "resource": map[string]any{"type": "user"}}}},
			{"zero id", []any{map[string]any{"action": "tasks:read", "resource": map[string]any{"type": "task", "id": 0}}}},
			{"extra member", []any{map[string]any{"action": "tasks:read", "resource": map[string]any{"type": "task"}, "why": "x"}}},
		}},
	}
	for _, tt := range tests {
		for _, group := range []struct {
			valid  bool
			bodies []body
		}{{true, tt.valid}, {false, tt.invalid}} {
			for _, b := range group.bodies {
				t.Run(tt.method+" "+tt.template+"/"+b.name, func(t *testing.T) {
					raw, err := json.Marshal(b.v)
					if err != nil {
						t.Fatal(err)
					}
					schemaErr := spec.requestBodyError(tt.method, tt.template, raw)
					if (schemaErr == nil) != group.valid {
						t.Errorf("document says valid=%v, want %v: %v", schemaErr == nil, group.valid, schemaErr)
					}
					resp := e.do(tt.method, tt.path, owner, raw)
					checkResponse(t, tt.method, tt.path, resp.status, resp.header, resp.body)
					if accepted := resp.status < 300; accepted != group.valid {
						t.Errorf("server answered %d, want it to %s the body; body %s", resp.status,
							map[bool]string{true: "accept", false: "refuse"}[group.valid], clip(resp.body))
					}
				})
			}
		}
	}
}
