package warden

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on posts and reports.
const (
	PostTitleMax    = 200
	PostBodyMax     = 20000
	ReportReasonMax = 2000
)

// Post is a piece of content; public posts are visible to anyone, others only to
// their owner (and to moderators of the tenant through moderation routes).
type Post struct {
	ID        int64     `json:"id" db:"id"`
	TenantID  string    `json:"-" db:"tenant_id"`
	Title     string    `json:"title" db:"title"`
	Body      string    `json:"body" db:"body"`
	IsPublic  bool      `json:"is_public" db:"is_public"`
	UserID    string    `json:"user_id" db:"owner_id"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

// PostInput is the client-settable part of a post. IsPublic defaults to false.
type PostInput struct {
	Title    string
	Body     string
	IsPublic bool
}

// Validate trims the title and reports every broken rule.
func (in *PostInput) Validate() []FieldError {
	in.Title = strings.TrimSpace(in.Title)
	var errs []FieldError
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > PostTitleMax {
		errs = append(errs, FieldError{Field: "title", Message: "must be 1 to 200 characters"})
	}
	if utf8.RuneCountInString(in.Body) > PostBodyMax {
		errs = append(errs, FieldError{Field: "body", Message: "must be at most 20000 characters"})
	}
	return errs
}

// PostPatch carries only the fields a PATCH sent.
type PostPatch struct {
	Title    Optional[string]
	Body     Optional[string]
	IsPublic Optional[bool]
}

// Report statuses.
const (
	ReportOpen      = "open"
	ReportResolved  = "resolved"
	ReportDismissed = "dismissed"
)

// Report flags a post for the tenant's moderators.
type Report struct {
	ID         int64      `json:"id" db:"id"`
	TenantID   string     `json:"-" db:"tenant_id"`
	PostID     int64      `json:"post_id" db:"post_id"`
	ReporterID string     `json:"reporter_id" db:"reporter_id"`
	Reason     string     `json:"reason" db:"reason"`
	Status     string     `json:"status" db:"status"`
	ResolvedBy *string    `json:"resolved_by" db:"resolved_by"`
	ResolvedAt *time.Time `json:"resolved_at" db:"resolved_at"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
}

// User is a subject the service has seen, recorded from verified claims.
type User struct {
	ID        string    `json:"id" db:"id"`
	TenantID  string    `json:"tenant" db:"tenant_id"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	FirstSeen time.Time `json:"first_seen" db:"first_seen"`
	LastSeen  time.Time `json:"last_seen" db:"last_seen"`
}

// TenantStats counts a tenant's rows for the admin dashboard.
type TenantStats struct {
	TenantID string `json:"tenant" db:"tenant_id"`
	Users    int64  `json:"users" db:"users"`
	Tasks    int64  `json:"tasks" db:"tasks"`
	Posts    int64  `json:"posts" db:"posts"`
	Reports  int64  `json:"open_reports" db:"open_reports"`
}
