package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

func (s *Server) registerMeRoutes(rg *gin.RouterGroup) {
	rg.GET("/me", handle(s.handleMe))
	rg.GET("/me/permissions", handle(s.handleMePermissions))
	rg.POST("/me/can", handle(s.handleMeCan))
}

func (s *Server) handleMe(c *gin.Context) error {
	sub := subjectOf(c)
	respondJSON(c, http.StatusOK, gin.H{
		"id": sub.ID, "email": sub.Email, "name": sub.Name, "tenant": sub.Tenant,
		"tenant_roles": sub.TenantRoles, "roles": sub.Roles, "permissions": sub.Permissions,
	})
	return nil
}

func (s *Server) handleMePermissions(c *gin.Context) error {
	sub := subjectOf(c)
	t0 := s.now()
	perms, err := s.authz.Permissions(c.Request.Context(), sub)
	state(c).authz += s.now().Sub(t0)
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, gin.H{"tenant": sub.Tenant, "permissions": nonNil(perms)})
	return nil
}

// handlePublic greets anyone; a token, when sent, must be valid.
func (s *Server) handlePublic(c *gin.Context) error {
	if sub := subjectOf(c); sub != nil {
		name := sub.Name
		if name == "" {
			name = sub.ID
		}
		respondJSON(c, http.StatusOK, gin.H{"message": "Hello, " + name + "!", "authenticated": true})
		return nil
	}
	respondJSON(c, http.StatusOK, gin.H{"message": "Hello, guest!", "authenticated": false})
	return nil
}

const maxCanQuestions = 100

type canAnswer struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// handleMeCan answers many "may I?" questions in one round trip. A question about
// a resource the subject cannot see answers exactly like one about a missing
// resource, so the endpoint reveals nothing about existence.
func (s *Server) handleMeCan(c *gin.Context) error {
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	items, err := decodeArray(raw, 1, maxCanQuestions)
	if err != nil {
		return err
	}
	type question struct {
		action string
		typ    string
		id     int64
	}
	qs := make([]question, len(items))
	var errs []warden.FieldError
	for i, item := range items {
		prefix := "[" + strconv.Itoa(i) + "]."
		m, e := fields(item, prefix, "action", "resource")
		errs = append(errs, e...)
		if m == nil {
			continue
		}
		d := member{m: m, prefix: prefix, errs: &errs}
		action, sent, null := d.str("action")
		if !sent || null || action == "" || len(action) > 100 {
			d.fail("action", "is required, e.g. \"tasks:update\"")
		}
		qs[i].action = action
		res, ok := m["resource"]
		if !ok {
			d.fail("resource", "is required, e.g. {\"type\": \"task\", \"id\": 42}")
			continue
		}
		rm, e := fields(res, prefix+"resource.", "type", "id")
		errs = append(errs, e...)
		if rm == nil {
			continue
		}
		rd := member{m: rm, prefix: prefix + "resource.", errs: &errs}
		typ, _, _ := rd.str("type")
		switch typ {
		case "task", "post", "report":
		default:
			rd.fail("type", "must be one of task, post, report")
		}
		qs[i].typ = typ
		qs[i].id, _ = rd.integer("id")
	}
	if err := warden.Invalid(errs); err != nil {
		return err
	}
	out := make([]canAnswer, len(qs))
	for i, q := range qs {
		a, err := s.can(c, q.action, q.typ, q.id)
		if err != nil {
			return err
		}
		out[i] = a
	}
	respondJSON(c, http.StatusOK, out)
	return nil
}

// readAction names, per resource type, the decision that says whether a
// subject may see a row at all.
func readAction(typ string) string { return typ + "s:read" }

// can decides one question. With an id the resource is loaded from the subject's
// tenant and must first be readable by the subject: a row it cannot read answers
// exactly like a missing one, whatever the action asked, so no answer reveals
// that a row exists. Without an id the question is about a new resource of
// that type in the subject's tenant.
func (s *Server) can(c *gin.Context, action, typ string, id int64) (canAnswer, error) {
	sub := subjectOf(c)
	res := warden.Resource{Type: typ, TenantID: sub.Tenant, OwnerID: sub.ID}
	missing := canAnswer{Allowed: false, Reason: typ + " not found"}
	if id != 0 {
		var err error
		res, err = s.loadResource(c, typ, id)
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			_ = s.missing(c, typ, readAction(typ), id)
			return missing, nil
		} else if err != nil {
			return canAnswer{}, err
		}
		if !s.decide(c, readAction(typ), res).Allow {
			return missing, nil
		}
	}
	d := s.decide(c, action, res)
	a := canAnswer{Allowed: d.Allow}
	if !d.Allow && len(d.Reasons) > 0 {
		a.Reason = d.Reasons[0]
	}
	return a, nil
}

func (s *Server) loadResource(c *gin.Context, typ string, id int64) (warden.Resource, error) {
	sub := subjectOf(c)
	return timeDB(c, func(ctx context.Context) (warden.Resource, error) {
		switch typ {
		case "task":
			t, err := s.tasks.FindTaskByID(ctx, sub.Tenant, id)
			if err != nil {
				return warden.Resource{}, err
			}
			return taskResource(t), nil
		case "post":
			p, err := s.posts.FindPostByID(ctx, id)
			if err != nil {
				return warden.Resource{}, err
			}
			return postResource(p), nil
		case "report":
			r, err := s.reports.FindReportByID(ctx, sub.Tenant, id)
			if err != nil {
				return warden.Resource{}, err
			}
			return reportResource(r), nil
		default:
			return warden.Resource{}, fmt.Errorf("load resource: unknown type %q", typ)
		}
	})
}
