package api

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

func (s *Server) registerReportRoutes(rg *gin.RouterGroup) {
	rg.POST("/reports", handle(s.handleReportCreate))
}

// registerModeratorRoutes mounts the routes of a group whose guard already
// required a moderating role.
func (s *Server) registerModeratorRoutes(rg *gin.RouterGroup) {
	rg.GET("/reports", handle(s.handleReportList))
	rg.PATCH("/reports/:id", handle(s.handleReportResolve))
}

func reportResource(r *warden.Report) warden.Resource {
	return warden.Resource{Type: "report", ID: r.ID, TenantID: r.TenantID, OwnerID: r.ReporterID, Status: r.Status}
}

func (s *Server) handleReportCreate(c *gin.Context) error {
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	m, errs := fields(raw, "", "post_id", "reason")
	if m == nil {
		return warden.Invalid(errs)
	}
	d := member{m: m, errs: &errs}
	postID, _ := d.integer("post_id")
	if _, ok := m["post_id"]; !ok {
		d.fail("post_id", "is required")
	}
	var reason string
	if _, ok := m["reason"]; !ok {
		d.fail("reason", "is required")
	} else if v, sent, null := d.str("reason"); sent {
		reason = strings.TrimSpace(v)
		if null || reason == "" {
			d.fail("reason", "must not be empty")
		} else if utf8.RuneCountInString(reason) > warden.ReportReasonMax {
			d.fail("reason", "must be at most 2000 characters")
		}
	}
	if err := warden.Invalid(errs); err != nil {
		return err
	}
	// The right to report comes first, so a caller without it learns nothing
	// about posts. The reported post must be one the subject can see; an
	// invisible post reads exactly like a missing one.
	sub := subjectOf(c)
	if err := s.authorize(c, "reports:create", warden.Resource{Type: "report", TenantID: sub.Tenant, OwnerID: sub.ID}); err != nil {
		return err
	}
	post, err := timeDB(c, func(ctx context.Context) (*warden.Post, error) {
		return s.posts.FindPostByID(ctx, postID)
	})
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		_ = s.missing(c, "post", "posts:read", postID)
		return noSuchPost()
	} else if err == nil && !s.decide(c, "posts:read", postResource(post)).Allow {
		return noSuchPost()
	} else if err != nil {
		return err
	}
	r, err := timeDB(c, func(ctx context.Context) (*warden.Report, error) {
		return s.reports.CreateReport(ctx, sub.Tenant, sub.ID, post.ID, reason)
	})
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		// Deleted since it was read: the same answer as any missing post.
		return noSuchPost()
	} else if err != nil {
		return err
	}
	respondJSON(c, http.StatusCreated, r)
	return nil
}

func (s *Server) handleReportList(c *gin.Context) error {
	q := newQuery(c, "status", "skip", "limit")
	status := q.oneOf("status", warden.ReportOpen, warden.ReportResolved, warden.ReportDismissed)
	offset := q.intIn("skip", 0, 0, maxInt)
	limit := min(q.intIn("limit", warden.ListLimitDefault, 1, maxInt), warden.ListLimitMax)
	if err := q.err(); err != nil {
		return err
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "reports:read", warden.Resource{Type: "report", TenantID: sub.Tenant}); err != nil {
		return err
	}
	vis, err := s.authz.Filter(c.Request.Context(), sub, "reports:read")
	if err != nil {
		return err
	}
	reports, err := timeDB(c, func(ctx context.Context) ([]*warden.Report, error) {
		return s.reports.FindReports(ctx, sub.Tenant, vis, status, limit, offset)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, nonNil(reports))
	return nil
}

func (s *Server) handleReportResolve(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	m, errs := fields(raw, "", "status")
	if m == nil {
		return warden.Invalid(errs)
	}
	d := member{m: m, errs: &errs}
	status, sent, null := d.str("status")
	if len(errs) == 0 && (!sent || null || (status != warden.ReportOpen && status != warden.ReportResolved && status != warden.ReportDismissed)) {
		d.fail("status", "is required: one of open, resolved, dismissed")
	}
	if err := warden.Invalid(errs); err != nil {
		return err
	}
	sub := subjectOf(c)
	r, err := timeDB(c, func(ctx context.Context) (*warden.Report, error) {
		return s.reports.FindReportByID(ctx, sub.Tenant, id)
	})
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return s.missing(c, "report", "reports:resolve", id)
	} else if err != nil {
		return err
	}
	if err := s.authorize(c, "reports:resolve", reportResource(r)); err != nil {
		return err
	}
	r, err = timeDB(c, func(ctx context.Context) (*warden.Report, error) {
		return s.reports.ResolveReport(ctx, sub.Tenant, r.ID, status, sub.ID)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, r)
	return nil
}

func noSuchPost() error {
	return warden.Invalid([]warden.FieldError{{Field: "post_id", Message: "no such post"}})
}
