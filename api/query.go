package api

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// query reads query parameters strictly: an unknown or repeated parameter, or a
// value of the wrong form, is a 422 naming it, so a typo never silently widens a list.
type query struct {
	v    url.Values
	errs []warden.FieldError
}

func newQuery(c *gin.Context, allowed ...string) *query {
	q := &query{v: c.Request.URL.Query()}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	keys := make([]string, 0, len(q.v))
	for k := range q.v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !ok[k] {
			q.fail(k, "unknown query parameter")
		} else if len(q.v[k]) > 1 {
			q.fail(k, "must be given once")
		}
	}
	return q
}

func (q *query) fail(name, msg string) {
	q.errs = append(q.errs, warden.FieldError{Field: name, Message: msg})
}

func (q *query) err() error { return warden.Invalid(q.errs) }

func (q *query) has(name string) bool { _, ok := q.v[name]; return ok }

func (q *query) intIn(name string, def, min, max int) int {
	if !q.has(name) {
		return def
	}
	n, err := strconv.Atoi(q.v.Get(name))
	if err != nil || n < min || n > max {
		if max == int(^uint(0)>>1) {
			q.fail(name, fmt.Sprintf("must be an integer >= %d", min))
		} else {
			q.fail(name, fmt.Sprintf("must be an integer from %d to %d", min, max))
		}
		return def
	}
	return n
}

func (q *query) boolean(name string) *bool {
	if !q.has(name) {
		return nil
	}
	b, err := strconv.ParseBool(q.v.Get(name))
	if err != nil {
		q.fail(name, "must be true or false")
		return nil
	}
	return &b
}

func (q *query) oneOf(name string, allowed ...string) *string {
	if !q.has(name) {
		return nil
	}
	v := q.v.Get(name)
	for _, a := range allowed {
		if v == a {
			return &v
		}
	}
	q.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return nil
}

func (q *query) text(name string, max int) *string {
	if !q.has(name) {
		return nil
	}
	v := q.v.Get(name)
	if len(v) > max {
		q.fail(name, fmt.Sprintf("must be at most %d bytes", max))
		return nil
	} else if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
		q.fail(name, "must be UTF-8 text without NUL characters")
		return nil
	}
	return &v
}

// cursor decodes an opaque keyset cursor made by encodeCursor.
func (q *query) cursor(name string) *warden.TaskCursor {
	if !q.has(name) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(q.v.Get(name))
	if err == nil {
		nanos, id, ok := strings.Cut(string(b), ".")
		n, err1 := strconv.ParseInt(nanos, 10, 64)
		i, err2 := strconv.ParseInt(id, 10, 64)
		if ok && err1 == nil && err2 == nil && i > 0 {
			return &warden.TaskCursor{CreatedAt: time.Unix(0, n).UTC(), ID: i}
		}
	}
	q.fail(name, "is not a cursor returned by this API")
	return nil
}

func encodeCursor(t *warden.Task) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%d", t.CreatedAt.UnixNano(), t.ID)))
}

const maxInt = int(^uint(0) >> 1)
