package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// registerPostReadRoutes mounts the optional-auth post routes.
func (s *Server) registerPostReadRoutes(rg *gin.RouterGroup) {
	rg.GET("/posts", handle(s.handlePostList))
	rg.GET("/posts/:id", handle(s.handlePostGet))
}

// registerPostWriteRoutes mounts the post routes that need a subject.
func (s *Server) registerPostWriteRoutes(rg *gin.RouterGroup) {
	rg.POST("/posts", handle(s.handlePostCreate))
	rg.PATCH("/posts/:id", handle(s.handlePostUpdate))
	rg.DELETE("/posts/:id", handle(s.handlePostDelete))
}

func postResource(p *warden.Post) warden.Resource {
	pub := p.IsPublic
	return warden.Resource{Type: "post", ID: p.ID, TenantID: p.TenantID, OwnerID: p.UserID, IsPublic: &pub}
}

func (s *Server) handlePostList(c *gin.Context) error {
	q := newQuery(c, "skip", "limit")
	offset := q.intIn("skip", 0, 0, maxInt)
	limit := min(q.intIn("limit", warden.ListLimitDefault, 1, maxInt), warden.ListLimitMax)
	if err := q.err(); err != nil {
		return err
	}
	if err := s.authorize(c, "posts:list", warden.Resource{Type: "post"}); err != nil {
		return err
	}
	vis, err := s.authz.Filter(c.Request.Context(), subjectOf(c), "posts:read")
	if err != nil {
		return err
	}
	posts, err := timeDB(c, func(ctx context.Context) ([]*warden.Post, error) {
		return s.posts.FindPosts(ctx, vis, limit, offset)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, nonNil(posts))
	return nil
}

// loadPost finds a post (of any tenant: the policy decides who sees it) and
// decides action on it.
func (s *Server) loadPost(c *gin.Context, action string) (*warden.Post, error) {
	return loadRow(s, c, "post", action, s.posts.FindPostByID, postResource)
}

func (s *Server) handlePostGet(c *gin.Context) error {
	p, err := s.loadPost(c, "posts:read")
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, p)
	return nil
}

func postFields() []string { return []string{"title", "body", "is_public"} }

func decodePostInput(raw json.RawMessage) (warden.PostInput, error) {
	m, errs := fields(raw, "", postFields()...)
	if m == nil {
		return warden.PostInput{}, warden.Invalid(errs)
	}
	d := member{m: m, errs: &errs}
	var in warden.PostInput
	if _, ok := m["title"]; !ok {
		d.fail("title", "is required")
	}
	if v, sent, null := d.str("title"); d.requireNonNull("title", sent, null) {
		in.Title = v
	}
	if v, sent, null := d.str("body"); d.requireNonNull("body", sent, null) {
		in.Body = v
	}
	if v, sent, null := d.boolean("is_public"); d.requireNonNull("is_public", sent, null) {
		in.IsPublic = v
	}
	if len(errs) > 0 {
		return in, warden.Invalid(errs)
	}
	return in, warden.Invalid(in.Validate())
}

func decodePostPatch(raw json.RawMessage) (warden.PostPatch, error) {
	m, errs := fields(raw, "", postFields()...)
	if m == nil {
		return warden.PostPatch{}, warden.Invalid(errs)
	}
	d := member{m: m, errs: &errs}
	var p warden.PostPatch
	p.Title.Value, p.Title.Set, p.Title.Null = d.str("title")
	p.Body.Value, p.Body.Set, p.Body.Null = d.str("body")
	p.IsPublic.Value, p.IsPublic.Set, p.IsPublic.Null = d.boolean("is_public")
	d.requireNonNull("title", p.Title.Set, p.Title.Null)
	d.requireNonNull("body", p.Body.Set, p.Body.Null)
	d.requireNonNull("is_public", p.IsPublic.Set, p.IsPublic.Null)
	if len(errs) == 0 && !p.Title.Set && !p.Body.Set && !p.IsPublic.Set {
		d.fail("body", "must contain at least one of title, body, is_public")
	}
	if len(errs) == 0 {
		// Validate the fields that were sent with the same rules as a create.
		in := warden.PostInput{Title: "x", Body: p.Body.Value}
		if p.Title.Set {
			in.Title = p.Title.Value
		}
		errs = in.Validate()
		p.Title.Value = in.Title
	}
	return p, warden.Invalid(errs)
}

func (s *Server) handlePostCreate(c *gin.Context) error {
	in, err := body(c, decodePostInput)
	if err != nil {
		return err
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "posts:create", warden.Resource{Type: "post", TenantID: sub.Tenant, OwnerID: sub.ID}); err != nil {
		return err
	}
	p, err := timeDB(c, func(ctx context.Context) (*warden.Post, error) {
		return s.posts.CreatePost(ctx, sub.Tenant, sub.ID, in)
	})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/posts/"+strconv.FormatInt(p.ID, 10))
	respondJSON(c, http.StatusCreated, p)
	return nil
}

func (s *Server) handlePostUpdate(c *gin.Context) error {
	if _, err := pathID(c); err != nil {
		return err
	}
	patch, err := body(c, decodePostPatch)
	if err != nil {
		return err
	}
	p, err := s.loadPost(c, "posts:update")
	if err != nil {
		return err
	}
	p, err = timeDB(c, func(ctx context.Context) (*warden.Post, error) {
		return s.posts.UpdatePost(ctx, p.TenantID, p.ID, patch)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, p)
	return nil
}

func (s *Server) handlePostDelete(c *gin.Context) error {
	p, err := s.loadPost(c, "posts:delete")
	if err != nil {
		return err
	}
	return s.deleted(c, func(ctx context.Context) error { return s.posts.DeletePost(ctx, p.TenantID, p.ID) })
}
