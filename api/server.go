package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warden-authz/warden"
)

// Server is the HTTP layer. Build it with NewServer and serve Handler().
type Server struct {
	engine  *gin.Engine
	auth    Authenticator
	authz   Authorizer
	tasks   TaskStore
	posts   PostStore
	reports ReportStore
	users   UserStore
	db      Pinger
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	seen    *seenUsers
	version string
}

// NewServer builds the engine with explicit middleware and every route. Groups
// declare their guards once, so a route added to a group cannot forget them.
func NewServer(d Deps) (*Server, error) {
	s := &Server{
		auth: d.Auth, authz: d.Authz, tasks: d.Tasks, posts: d.Posts, reports: d.Reports,
		users: d.Users, db: d.DB, log: d.Logger, metrics: d.Metrics, now: d.Now, version: d.Version,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	s.seen = newSeenUsers(d.Users, s.now, s.log)

	e := gin.New()
	// Redirects would answer before group middleware runs; a client gets a 404 instead.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, err
	}
	if len(d.TrustedProxies) == 0 {
		e.ForwardedByClientIP = false
	}
	e.Use(s.withState, s.recoverPanic, s.accessLog, s.limitBody)
	e.NoRoute(func(c *gin.Context) {
		writeError(c, warden.Errorf(warden.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		respond(c, http.StatusMethodNotAllowed, "application/problem+json", problem{
			Type: "urn:warden:problem:method_not_allowed", Title: http.StatusText(http.StatusMethodNotAllowed),
			Status: http.StatusMethodNotAllowed, RequestID: requestID(c),
			Detail: "method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path,
		})
	})

	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/openapi.json", handleOpenAPI)
	if d.Registry != nil {
		e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))
	}

	// Optional authentication: a token, when present, is verified all the same.
	open := e.Group("/api", s.authenticate)
	open.GET("/public", handle(s.handlePublic))
	s.registerPostReadRoutes(open)

	// Everything else under /api needs a subject.
	authed := open.Group("", requireSubject)
	s.registerMeRoutes(authed)
	s.registerPostWriteRoutes(authed)
	s.registerReportRoutes(authed)
	s.registerTaskRoutes(authed.Group("/tasks", s.guard("tasks:list")))
	s.registerModeratorRoutes(authed.Group("/moderator", s.guard("moderation:access")))
	s.registerAdminRoutes(authed.Group("/admin", s.guard("admin:access")))

	s.engine = e
	return s, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists the registered routes as "METHOD /path" (Gin templates).
func (s *Server) Routes() []gin.RouteInfo { return s.engine.Routes() }

func (s *Server) handleHealthz(c *gin.Context) {
	respondJSON(c, http.StatusOK, gin.H{"status": "ok"})
}

// handleReadyz is ready when the database answers and a key set is loaded.
func (s *Server) handleReadyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{"database": "ok", "keys": "ok"}
	ready := true
	if err := s.db.Ping(ctx); err != nil {
		checks["database"], ready = "unavailable", false
	}
	if err := withDeadline(ctx, s.auth.Ready); err != nil {
		checks["keys"], ready = "unavailable", false
	}
	body := gin.H{"status": "ready", "checks": checks, "policy_revision": s.authz.Revision(), "version": s.version}
	status := http.StatusOK
	if !ready {
		body["status"], status = "not ready", http.StatusServiceUnavailable
		c.Header("Retry-After", "5")
	}
	respondJSON(c, status, body)
}

// withDeadline runs check but answers by ctx's deadline even if check does not:
// a probe must not hang on a slow key fetch it may have started.
func withDeadline(ctx context.Context, check func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- check(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
