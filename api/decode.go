package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

const maxBodyBytes = 1 << 20

// serverOwned reports fields a client can see but never set.
func serverOwned(name string) bool {
	switch name {
	case "id", "user_id", "owner_id", "tenant", "tenant_id", "created_at", "updated_at",
		"reporter_id", "resolved_by", "resolved_at":
		return true
	}
	return false
}

// readJSON reads the body and checks it is well-formed JSON: 413 past the limit,
// 422 naming Content-Type for another media type, 400 for anything that does not parse.
func readJSON(c *gin.Context) (json.RawMessage, error) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &warden.Error{Code: warden.EINVALID, Message: "Content-Type must be application/json",
				Fields: []warden.FieldError{{Field: "Content-Type", Message: "must be application/json"}}}
		}
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, warden.Errorf(warden.ETOOLARGE, "request body is larger than 1 MiB")
		}
		return nil, warden.Errorf(warden.EMALFORMED, "could not read request body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, warden.Errorf(warden.EMALFORMED, "request body is empty; a JSON document is required")
	}
	if !json.Valid(body) {
		return nil, warden.Errorf(warden.EMALFORMED, "request body is not valid JSON")
	}
	return body, nil
}

// fields splits a JSON object into its members, refusing unknown and server-owned
// ones. prefix names the item inside a bulk array ("[3].").
func fields(raw json.RawMessage, prefix string, allowed ...string) (map[string]json.RawMessage, []warden.FieldError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		name := strings.TrimSuffix(prefix, ".")
		if name == "" {
			name = "body"
		}
		return nil, []warden.FieldError{{Field: name, Message: "must be a JSON object"}}
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var errs []warden.FieldError
	for _, k := range sortedKeys(m) {
		switch {
		case ok[k]:
		case serverOwned(k):
			errs = append(errs, warden.FieldError{Field: prefix + k, Message: "is set by the server and cannot be sent"})
		default:
			errs = append(errs, warden.FieldError{Field: prefix + k, Message: "unknown field"})
		}
	}
	return m, errs
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// member decodes one member into a typed target; helpers below report type errors
// by field name. The bool result says whether the member was sent.
type member struct {
	m      map[string]json.RawMessage
	prefix string
	errs   *[]warden.FieldError
}

func (d member) fail(name, msg string) {
	*d.errs = append(*d.errs, warden.FieldError{Field: d.prefix + name, Message: msg})
}

// str decodes a string member; null reports null=true.
func (d member) str(name string) (v string, sent, null bool) {
	raw, ok := d.m[name]
	if !ok {
		return "", false, false
	} else if isNull(raw) {
		return "", true, true
	} else if err := json.Unmarshal(raw, &v); err != nil {
		d.fail(name, "must be a string")
		return "", false, false
	} else if strings.ContainsRune(v, 0) {
		// PostgreSQL cannot store NUL in text; refuse it here, by name.
		d.fail(name, "must not contain NUL characters")
		return "", false, false
	}
	return v, true, false
}

func (d member) boolean(name string) (v bool, sent, null bool) {
	raw, ok := d.m[name]
	if !ok {
		return false, false, false
	} else if isNull(raw) {
		return false, true, true
	} else if err := json.Unmarshal(raw, &v); err != nil {
		d.fail(name, "must be true or false")
		return false, false, false
	}
	return v, true, false
}

func (d member) integer(name string) (v int64, sent bool) {
	raw, ok := d.m[name]
	if !ok {
		return 0, false
	}
	if err := json.Unmarshal(raw, &v); err != nil || v <= 0 {
		d.fail(name, "must be a positive integer")
		return 0, false
	}
	return v, true
}

func (d member) timestamp(name string) (v time.Time, sent, null bool) {
	s, sent, null := d.str(name)
	if !sent || null {
		return time.Time{}, sent, null
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail(name, "must be an RFC 3339 date-time, e.g. 2026-12-31T17:00:00Z")
		return time.Time{}, false, false
	}
	// An offset can push a parsed time outside the years JSON and clients can
	// represent; such a value must never reach the database.
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		d.fail(name, "must be between years 0001 and 9999 in UTC")
		return time.Time{}, false, false
	}
	return t.UTC(), true, false
}

// requireNonNull records an error when a member that cannot be null was sent as null.
func (d member) requireNonNull(name string, sent, null bool) bool {
	if sent && null {
		d.fail(name, "must not be null")
		return false
	}
	return sent
}

// taskFields are the members a client may send for a task.
func taskFields() []string {
	return []string{"title", "description", "completed", "priority", "due_date"}
}

// decodeTaskInput decodes a create or full-replace body: fields not sent take their defaults.
func decodeTaskInput(raw json.RawMessage, prefix string) (warden.TaskInput, []warden.FieldError) {
	m, errs := fields(raw, prefix, taskFields()...)
	if m == nil {
		return warden.TaskInput{}, errs
	}
	d := member{m: m, prefix: prefix, errs: &errs}
	var in warden.TaskInput
	title, sent, null := d.str("title")
	if !sent {
		if _, present := m["title"]; !present {
			d.fail("title", "is required")
		}
	} else if d.requireNonNull("title", sent, null) {
		in.Title = title
	}
	if v, sent, null := d.str("description"); sent && !null {
		in.Description = &v
	}
	if v, sent, null := d.boolean("completed"); d.requireNonNull("completed", sent, null) {
		in.Completed = v
	}
	if v, sent, null := d.str("priority"); d.requireNonNull("priority", sent, null) {
		in.Priority = v
		if v == "" {
			d.fail("priority", "must be one of low, medium, high")
		}
	}
	if v, sent, null := d.timestamp("due_date"); sent && !null {
		in.DueDate = &v
	}
	if len(errs) > 0 {
		return in, errs
	}
	in.Normalize()
	return in, in.Validate(prefix)
}

// decodeTaskPatch decodes a PATCH body: absent leaves a field alone, null clears it.
func decodeTaskPatch(raw json.RawMessage) (warden.TaskPatch, []warden.FieldError) {
	m, errs := fields(raw, "", taskFields()...)
	if m == nil {
		return warden.TaskPatch{}, errs
	}
	d := member{m: m, errs: &errs}
	var p warden.TaskPatch
	p.Title.Value, p.Title.Set, p.Title.Null = d.str("title")
	p.Description.Value, p.Description.Set, p.Description.Null = d.str("description")
	p.Completed.Value, p.Completed.Set, p.Completed.Null = d.boolean("completed")
	p.Priority.Value, p.Priority.Set, p.Priority.Null = d.str("priority")
	p.DueDate.Value, p.DueDate.Set, p.DueDate.Null = d.timestamp("due_date")
	if len(errs) > 0 {
		return p, errs
	}
	if p.Empty() {
		return p, []warden.FieldError{{Field: "body", Message: "must contain at least one of " + strings.Join(taskFields(), ", ")}}
	}
	p.Normalize()
	return p, p.Validate()
}

// decodeArray splits a JSON array body into items, checking its length.
func decodeArray(raw json.RawMessage, min, max int) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, warden.Invalid([]warden.FieldError{{Field: "body", Message: "must be a JSON array"}})
	}
	if len(items) < min || len(items) > max {
		return nil, warden.Invalid([]warden.FieldError{{Field: "body",
			Message: "must hold " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " items, got " + strconv.Itoa(len(items))}})
	}
	return items, nil
}

// pathID parses the positive integer {id} of a route, in its one canonical
// form: no sign, no leading zeros, so each resource has exactly one URL.
func pathID(c *gin.Context) (int64, error) {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, warden.Invalid([]warden.FieldError{{Field: "id", Message: "must be a positive integer"}})
	}
	return id, nil
}
