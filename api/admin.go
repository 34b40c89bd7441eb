package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// registerAdminRoutes mounts the routes of a group whose guard already required
// a tenant administrator or a platform admin.
func (s *Server) registerAdminRoutes(rg *gin.RouterGroup) {
	rg.GET("/users", handle(s.handleAdminUsers))
	rg.GET("/stats", handle(s.handleAdminStats))
}

// adminScope asks the policy how wide an admin read may go: every tenant (nil)
// when it allows the action on all tenants, else the subject's own tenant.
func (s *Server) adminScope(c *gin.Context, action string) (*string, error) {
	if s.decide(c, action, warden.Resource{Type: "tenant", TenantID: "*"}).Allow {
		return nil, nil
	}
	sub := subjectOf(c)
	if err := s.authorize(c, action, warden.Resource{Type: "tenant", TenantID: sub.Tenant}); err != nil {
		return nil, err
	}
	return &sub.Tenant, nil
}

func (s *Server) handleAdminUsers(c *gin.Context) error {
	q := newQuery(c, "skip", "limit")
	offset := q.intIn("skip", 0, 0, maxInt)
	limit := min(q.intIn("limit", warden.ListLimitDefault, 1, maxInt), warden.ListLimitMax)
	if err := q.err(); err != nil {
		return err
	}
	tenant, err := s.adminScope(c, "users:read")
	if err != nil {
		return err
	}
	users, err := timeDB(c, func(ctx context.Context) ([]*warden.User, error) {
		return s.users.FindUsers(ctx, tenant, limit, offset)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, nonNil(users))
	return nil
}

func (s *Server) handleAdminStats(c *gin.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	tenant, err := s.adminScope(c, "stats:read")
	if err != nil {
		return err
	}
	stats, err := timeDB(c, func(ctx context.Context) ([]warden.TenantStats, error) {
		return s.users.Stats(ctx, tenant)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, gin.H{"tenants": nonNil(stats)})
	return nil
}
