package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-authz/warden"
)

// Authenticator verifies a bearer token and returns the subject it proves.
type Authenticator interface {
	Verify(ctx context.Context, token string) (*warden.Subject, error)
	Ready(ctx context.Context) error
}

// Authorizer answers policy questions. Decide never fails open: an evaluation that
// cannot decide comes back as a deny.
type Authorizer interface {
	Decide(ctx context.Context, req warden.AuthzRequest) warden.Decision
	Filter(ctx context.Context, s *warden.Subject, action string) (warden.Condition, error)
	Permissions(ctx context.Context, s *warden.Subject) ([]string, error)
	Revision() string
}

// TaskStore persists tasks; every method is scoped by tenant.
type TaskStore interface {
	FindTaskByID(ctx context.Context, tenant string, id int64) (*warden.Task, error)
	FindTasks(ctx context.Context, tenant string, vis warden.Condition, f warden.TaskFilter) ([]*warden.Task, error)
	CountTasks(ctx context.Context, tenant string, vis warden.Condition, f warden.TaskFilter) (int, error)
	CreateTask(ctx context.Context, tenant, owner string, in warden.TaskInput) (*warden.Task, error)
	CreateTasks(ctx context.Context, tenant, owner string, in []warden.TaskInput) ([]*warden.Task, error)
	ReplaceTask(ctx context.Context, tenant string, id int64, in warden.TaskInput) (*warden.Task, error)
	UpdateTask(ctx context.Context, tenant string, id int64, p warden.TaskPatch) (*warden.Task, error)
	DeleteTask(ctx context.Context, tenant string, id int64) error
	DeleteTasks(ctx context.Context, tenant string, vis warden.Condition, completedOnly bool) (int64, error)
	CompleteTasks(ctx context.Context, tenant string, vis warden.Condition) (int64, error)
}

// PostStore persists posts.
type PostStore interface {
	FindPostByID(ctx context.Context, id int64) (*warden.Post, error)
	FindPosts(ctx context.Context, vis warden.Condition, limit, offset int) ([]*warden.Post, error)
	CreatePost(ctx context.Context, tenant, owner string, in warden.PostInput) (*warden.Post, error)
	UpdatePost(ctx context.Context, tenant string, id int64, p warden.PostPatch) (*warden.Post, error)
	DeletePost(ctx context.Context, tenant string, id int64) error
}

// ReportStore persists moderation reports.
type ReportStore interface {
	CreateReport(ctx context.Context, tenant, reporter string, postID int64, reason string) (*warden.Report, error)
	FindReports(ctx context.Context, tenant string, vis warden.Condition, status *string, limit, offset int) ([]*warden.Report, error)
	FindReportByID(ctx context.Context, tenant string, id int64) (*warden.Report, error)
	ResolveReport(ctx context.Context, tenant string, id int64, status, by string) (*warden.Report, error)
}

// UserStore records the subjects the service has seen.
type UserStore interface {
	UpsertUser(ctx context.Context, u warden.User) error
	FindUsers(ctx context.Context, tenant *string, limit, offset int) ([]*warden.User, error)
	Stats(ctx context.Context, tenant *string) ([]warden.TenantStats, error)
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps is everything the HTTP layer needs; cmd/warden wires it.
type Deps struct {
	Auth     Authenticator
	Authz    Authorizer
	Tasks    TaskStore
	Posts    PostStore
	Reports  ReportStore
	Users    UserStore
	DB       Pinger
	Logger   *slog.Logger
	Registry *prometheus.Registry // nil: no /metrics
	Metrics  *Metrics             // nil: metrics are recorded nowhere
	Now      func() time.Time
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed; empty: none.
	TrustedProxies []string
	// Version is reported by /readyz.
	Version string
}
