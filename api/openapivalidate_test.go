package api_test

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPIBase names the document inside the schema compiler; references in it
// are relative ("#/components/schemas/Task"), so the name only has to be absolute.
const openAPIBase = "file:///warden/api/openapi.json"

// openAPISpec is api/openapi.json with every schema it holds compiled as JSON
// Schema 2020-12, the dialect of OpenAPI 3.1.
type openAPISpec struct {
	doc     map[string]any
	ops     []openAPIOperation
	schemas map[string]*jsonschema.Schema // by JSON pointer into doc
}

// openAPIOperation is one method of one path template.
type openAPIOperation struct {
	method   string // "GET"
	template string // "/api/tasks/{id}"
	segments []string
	ptr      string // "/paths/~1api~1tasks~1{id}/get"
	op       map[string]any
}

// loadOpenAPI parses and compiles the document once per test binary: compiling
// every schema takes longer than the requests it checks.
var loadOpenAPI = sync.OnceValues(func() (*openAPISpec, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	return parseOpenAPI(raw)
})

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func parseOpenAPI(raw []byte) (*openAPISpec, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi.json is not an object")
	}
	s := &openAPISpec{doc: doc, schemas: map[string]*jsonschema.Schema{}}
	paths, _ := doc["paths"].(map[string]any)
	for _, tmpl := range sortedMapKeys(paths) {
		item, _ := paths[tmpl].(map[string]any)
		for _, m := range openAPIMethods {
			o, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			s.ops = append(s.ops, openAPIOperation{
				method: strings.ToUpper(m), template: tmpl, segments: strings.Split(tmpl, "/"),
				ptr: "/paths/" + escapePointer(tmpl) + "/" + m, op: o,
			})
		}
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(openAPIBase, doc); err != nil {
		return nil, err
	}
	for _, ptr := range schemaPointers(doc, "") {
		sch, err := c.Compile(openAPIBase + "#" + ptr)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", ptr, err)
		}
		s.schemas[ptr] = sch
	}
	return s, nil
}

// schemaPointers lists every "schema" member of the document outside
// components/schemas (whose entries are listed themselves): parameter, header,
// request and response schemas.
func schemaPointers(v any, ptr string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedMapKeys(x) {
			p := ptr + "/" + escapePointer(k)
			switch {
			case ptr == "/components/schemas":
				out = append(out, p)
			case k == "schema":
				out = append(out, p)
			default:
				out = append(out, schemaPointers(x[k], p)...)
			}
		}
	case []any:
		for i, e := range x {
			out = append(out, schemaPointers(e, ptr+"/"+strconv.Itoa(i))...)
		}
	}
	return out
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookup follows a JSON pointer into the document.
func (s *openAPISpec) lookup(ptr string) (any, error) {
	var v any = s.doc
	if ptr == "" {
		return v, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, fmt.Errorf("%s: no member %q", ptr, tok)
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%s: no item %q", ptr, tok)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%s: %q is inside neither an object nor an array", ptr, tok)
		}
	}
	return v, nil
}

// deref follows OpenAPI Reference Objects ({"$ref": "#/components/..."}) from the
// object at ptr and returns the object reached and its pointer.
func (s *openAPISpec) deref(ptr string) (map[string]any, string, error) {
	for range 10 {
		v, err := s.lookup(ptr)
		if err != nil {
			return nil, "", err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("%s is not an object", ptr)
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return m, ptr, nil
		}
		if !strings.HasPrefix(r, "#/") {
			return nil, "", fmt.Errorf("%s: only local references are supported, got %q", ptr, r)
		}
		ptr = strings.TrimPrefix(r, "#")
	}
	return nil, "", fmt.Errorf("%s: reference chain too long", ptr)
}

// match finds the operation Gin routes method and path to. Gin keeps a tree per
// method and prefers a static segment to a parameter, so among the templates of
// that method the one with the most static segments wins. It also returns the
// methods of every template the path matches, for a 405.
func (s *openAPISpec) match(method, path string) (*openAPIOperation, []string) {
	segs := strings.Split(path, "/")
	var best *openAPIOperation
	bestStatic := -1
	var methods []string
	for i := range s.ops {
		o := &s.ops[i]
		static, ok := matchSegments(o.segments, segs)
		if !ok {
			continue
		}
		if !slices.Contains(methods, o.method) {
			methods = append(methods, o.method)
		}
		if o.method == method && static > bestStatic {
			best, bestStatic = o, static
		}
	}
	slices.Sort(methods)
	return best, methods
}

func matchSegments(tmpl, segs []string) (static int, ok bool) {
	if len(tmpl) != len(segs) {
		return 0, false
	}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return 0, false
			}
			continue
		}
		if t != segs[i] {
			return 0, false
		}
		static++
	}
	return static, true
}

// responseProblems says how a response departs from the document; none when it
// conforms. target is the request path, optionally with a query.
func (s *openAPISpec) responseProblems(method, target string, status int, header http.Header, body []byte) []string {
	u, err := url.Parse(target)
	if err != nil {
		return []string{fmt.Sprintf("bad request target %q: %v", target, err)}
	}
	op, methods := s.match(method, u.Path)
	var respPtr string
	switch {
	case op != nil:
		respPtr = op.ptr + "/responses/" + strconv.Itoa(status)
		if _, err := s.lookup(respPtr); err != nil {
			return []string{fmt.Sprintf("status %d is not documented for %s %s (body %s)", status, op.method, op.template, clip(body))}
		}
	case len(methods) > 0:
		if status != http.StatusMethodNotAllowed {
			return []string{fmt.Sprintf("no %s operation on this path (it has %v), so the status must be 405, got %d", method, methods, status)}
		}
		if got := header.Get("Allow"); got != "" && !sameMethods(got, methods) {
			return []string{fmt.Sprintf("Allow = %q, want the documented methods %v", got, methods)}
		}
		respPtr = "/components/responses/MethodNotAllowed"
	default:
		if status != http.StatusNotFound {
			return []string{fmt.Sprintf("no documented path matches %s, so the status must be 404, got %d", u.Path, status)}
		}
		respPtr = "/components/responses/NotFound"
	}
	return s.checkResponseObject(respPtr, header, body)
}

func sameMethods(allow string, want []string) bool {
	var got []string
	for _, m := range strings.Split(allow, ",") {
		got = append(got, strings.TrimSpace(m))
	}
	slices.Sort(got)
	return slices.Equal(got, want)
}

// checkResponseObject checks headers, media type and body against one Response Object.
func (s *openAPISpec) checkResponseObject(ptr string, header http.Header, body []byte) []string {
	resp, ptr, err := s.deref(ptr)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	hdrs, _ := resp["headers"].(map[string]any)
	for _, name := range sortedMapKeys(hdrs) {
		h, hptr, err := s.deref(ptr + "/headers/" + escapePointer(name))
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		val, present := header.Get(name), len(header.Values(name)) > 0
		if !present {
			if req, _ := h["required"].(bool); req {
				out = append(out, fmt.Sprintf("header %s is required (%s)", name, ptr))
			}
			continue
		}
		if p := s.checkHeaderValue(hptr+"/schema", val); p != "" {
			out = append(out, fmt.Sprintf("header %s: %s", name, p))
		}
	}

	content, hasContent := resp["content"].(map[string]any)
	if !hasContent {
		if len(body) != 0 {
			out = append(out, fmt.Sprintf("%s documents no body, got %s", ptr, clip(body)))
		}
		return out
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return append(out, fmt.Sprintf("Content-Type %q: %v (documented: %v)", ct, err, sortedMapKeys(content)))
	}
	if _, ok := content[mt]; !ok {
		return append(out, fmt.Sprintf("Content-Type %q is not documented for %s (documented: %v)", ct, ptr, sortedMapKeys(content)))
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return out
	}
	schPtr := ptr + "/content/" + escapePointer(mt) + "/schema"
	sch, ok := s.schemas[schPtr]
	if !ok {
		return append(out, fmt.Sprintf("%s has no schema", schPtr))
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return append(out, fmt.Sprintf("body is not JSON (%v): %s", err, clip(body)))
	}
	if err := sch.Validate(v); err != nil {
		out = append(out, fmt.Sprintf("body does not match %s: %v\nbody: %s", schPtr, err, clip(body)))
	}
	return out
}

// checkHeaderValue validates a header against its schema: integers are
// converted first, everything else is a string.
func (s *openAPISpec) checkHeaderValue(schPtr, val string) string {
	sch, ok := s.schemas[schPtr]
	if !ok {
		return ""
	}
	var v any = val
	if t, _ := s.lookup(schPtr + "/type"); t == "integer" {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Sprintf("%q is not an integer", val)
		}
		v = n
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Sprintf("%q: %v", val, err)
	}
	return ""
}

// requestBodyError validates a request body against the schema documented for
// the operation at method and template.
func (s *openAPISpec) requestBodyError(method, template string, body []byte) error {
	ptr := "/paths/" + escapePointer(template) + "/" + strings.ToLower(method) + "/requestBody/content/application~1json/schema"
	sch, ok := s.schemas[ptr]
	if !ok {
		return fmt.Errorf("no request body schema at %s", ptr)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func clip(b []byte) string {
	const max = 400
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// checkResponse fails the test when a response departs from api/openapi.json:
// the operation Gin would route to must document the status, the Content-Type
// must be one documented for it, required headers must be present and the body
// must validate against the documented schema. A path no template matches must
// be a 404, and a known path with an undocumented method a 405.
func checkResponse(t testing.TB, method, path string, status int, header http.Header, body []byte) {
	t.Helper()
	spec, err := loadOpenAPI()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, p := range spec.responseProblems(method, path, status, header, body) {
		t.Errorf("openapi: %s %s -> %d: %s", method, path, status, p)
	}
}
