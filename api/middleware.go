package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

const stateKey = "warden.state"

// reqState is what one request accumulates on its way through the middleware.
type reqState struct {
	id        string
	start     time.Time
	logger    *slog.Logger
	subject   *warden.Subject
	jwt       time.Duration
	authz     time.Duration
	db        time.Duration
	decisions []string
}

func state(c *gin.Context) *reqState {
	if v, ok := c.Get(stateKey); ok {
		return v.(*reqState)
	}
	// Engine-level handlers (NoRoute before middleware ran) still get a state.
	st := &reqState{id: newID(), start: time.Now(), logger: slog.Default()}
	c.Set(stateKey, st)
	return st
}

func requestID(c *gin.Context) string          { return state(c).id }
func loggerOf(c *gin.Context) *slog.Logger     { return state(c).logger }
func subjectOf(c *gin.Context) *warden.Subject { return state(c).subject }

// validRequestID accepts a client's request id of 1–64 characters [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withState starts the request's state: a request id (a client's well-formed
// X-Request-Id is kept so a trace can cross services) and the clock.
func (s *Server) withState(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !validRequestID(id) {
		id = newID()
	}
	c.Set(stateKey, &reqState{id: id, start: s.now(), logger: s.log})
	c.Header("X-Request-Id", id)
	c.Next()
}

// recoverPanic turns a panic into a problem+json 500 carrying the request id.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			writeError(c, fmt.Errorf("panic: %v", r))
		}
	}()
	c.Next()
}

// accessLog writes one structured line per request and records request metrics.
func (s *Server) accessLog(c *gin.Context) {
	c.Next()
	st := state(c)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := s.now().Sub(st.start)
	attrs := []any{
		"request_id", st.id, "method", c.Request.Method, "route", route,
		"status", c.Writer.Status(), "duration_ms", float64(elapsed.Microseconds()) / 1000,
		"bytes", c.Writer.Size(), "client_ip", c.ClientIP(),
	}
	if st.subject != nil {
		attrs = append(attrs, "subject", st.subject.ID, "tenant", st.subject.Tenant)
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request", argsToAttrs(attrs)...)
	s.metrics.observeRequest(c.Request.Method, route, c.Writer.Status(), elapsed)
}

func argsToAttrs(args []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, slog.Any(args[i].(string), args[i+1]))
	}
	return out
}

// limitBody caps request bodies; reading past the cap fails and the decoder answers 413.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes)
	}
	c.Next()
}

// authenticate verifies a bearer token when one is present and continues
// anonymously when there is none; groups that need a subject add
// requireSubject. A token that is present but bad is always a 401, never a
// fall-back to anonymous.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	if h == "" {
		c.Next()
		return
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		writeError(c, warden.Errorf(warden.EUNAUTHENTICATED, "authorization header must be: Bearer <token>"))
		return
	}
	st := state(c)
	t0 := time.Now()
	sub, err := s.auth.Verify(c.Request.Context(), strings.TrimSpace(token))
	st.jwt += time.Since(t0)
	if err != nil {
		writeError(c, err)
		return
	}
	st.subject = sub
	s.seen.record(c.Request.Context(), sub)
	c.Next()
}

// guard asks the policy whether the subject may use a whole group of routes. The
// role lists live in the policy's data; this only names the action.
func (s *Server) guard(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.authorize(c, action, warden.Resource{Type: "route"}); err != nil {
			writeError(c, err)
			return
		}
		c.Next()
	}
}

// requireSubject refuses anonymous callers; used by groups behind optional auth.
func requireSubject(c *gin.Context) {
	if subjectOf(c) == nil {
		writeError(c, warden.Errorf(warden.EUNAUTHENTICATED, "missing bearer token"))
		return
	}
	c.Next()
}

// decide asks the policy one question and records the decision on the request.
func (s *Server) decide(c *gin.Context, action string, res warden.Resource) warden.Decision {
	st := state(c)
	t0 := time.Now()
	d := s.authz.Decide(c.Request.Context(), warden.AuthzRequest{
		Subject: st.subject, Action: action, Resource: res,
		Method: c.Request.Method, Route: c.FullPath(),
	})
	st.authz += time.Since(t0)
	if d.ID != "" {
		st.decisions = append(st.decisions, d.ID)
	}
	return d
}

// authorize turns a decision into an error: nil when allowed, a 404 when the
// subject may not know the resource exists, a 403 naming the reason otherwise.
func (s *Server) authorize(c *gin.Context, action string, res warden.Resource) error {
	d := s.decide(c, action, res)
	if d.Allow {
		return nil
	} else if d.Undecided {
		return warden.Errorf(warden.EUNAVAILABLE, "authorization could not be decided; retry shortly")
	} else if !d.Visible && res.ID != 0 {
		return notFound(res.Type)
	}
	reason := "forbidden"
	if len(d.Reasons) > 0 {
		reason = d.Reasons[0]
	}
	return warden.Errorf(warden.EFORBIDDEN, "%s", reason)
}

// timeDB runs fn and adds its duration to the request's database time.
func timeDB[T any](c *gin.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	st := state(c)
	t0 := time.Now()
	v, err := fn(c.Request.Context())
	st.db += time.Since(t0)
	return v, err
}

// respond writes a JSON body with the headers every API response carries.
func respond(c *gin.Context, status int, contentType string, body any) {
	st := state(c)
	c.Header("Server-Timing", fmt.Sprintf("jwt;dur=%.3f, authz;dur=%.3f, db;dur=%.3f",
		ms(st.jwt), ms(st.authz), ms(st.db)))
	if len(st.decisions) > 0 {
		c.Header("X-Decision-Id", strings.Join(st.decisions, ","))
	}
	if body == nil {
		c.Status(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		contentType = "application/problem+json"
		b, _ = json.Marshal(problem{Type: "urn:warden:problem:" + warden.EINTERNAL, Title: http.StatusText(status),
			Status: status, Detail: "internal error", RequestID: st.id})
	}
	c.Data(status, contentType, b)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func respondJSON(c *gin.Context, status int, body any) {
	respond(c, status, "application/json; charset=utf-8", body)
}

// handle adapts a handler that returns its error: the error is answered in one
// place, so no handler can forget to stop after writing one.
func handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			writeError(c, err)
		}
	}
}

// body reads the request's JSON body and decodes it with decode.
func body[T any](c *gin.Context, decode func(json.RawMessage) (T, error)) (T, error) {
	raw, err := readJSON(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return decode(raw)
}

// deleted runs a delete and answers 204.
func (s *Server) deleted(c *gin.Context, del func(ctx context.Context) error) error {
	_, err := timeDB(c, func(ctx context.Context) (struct{}, error) { return struct{}{}, del(ctx) })
	if err != nil {
		return err
	}
	respond(c, http.StatusNoContent, "", nil)
	return nil
}
