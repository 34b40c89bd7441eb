package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// registerTaskRoutes mounts the task routes on a group that already requires a
// subject who is a member of its tenant.
func (s *Server) registerTaskRoutes(rg *gin.RouterGroup) {
	rg.GET("", handle(s.handleTaskList))
	rg.GET("/paginated", handle(s.handleTaskPage))
	rg.POST("", handle(s.handleTaskCreate))
	rg.POST("/bulk", handle(s.handleTaskBulkCreate))
	rg.POST("/bulk-import", handle(s.handleTaskBulkImport))
	rg.DELETE("/bulk", handle(s.handleTaskBulkDelete))
	rg.PATCH("/bulk/complete", handle(s.handleTaskBulkComplete))
	rg.GET("/:id", handle(s.handleTaskGet))
	rg.PATCH("/:id", handle(s.handleTaskUpdate))
	rg.PUT("/:id", handle(s.handleTaskReplace))
	rg.DELETE("/:id", handle(s.handleTaskDelete))
}

func taskResource(t *warden.Task) warden.Resource {
	return warden.Resource{Type: "task", ID: t.ID, TenantID: t.TenantID, OwnerID: t.UserID}
}

// newTaskResource is the resource a create is decided on: a task of the subject's
// tenant, owned by the subject.
func newTaskResource(sub *warden.Subject, count int) warden.Resource {
	return warden.Resource{Type: "task", TenantID: sub.Tenant, OwnerID: sub.ID, Count: count}
}

// taskFilterFromQuery reads the list filters shared by both list routes.
func taskFilterFromQuery(q *query) warden.TaskFilter {
	return warden.TaskFilter{
		Completed: q.boolean("completed"),
		Priority:  q.oneOf("priority", warden.PriorityLow, warden.PriorityMedium, warden.PriorityHigh),
		UserID:    q.text("user_id", 256),
		Search:    q.text("search", 200),
	}
}

// taskFilterParams are the query parameters both list routes accept, plus extra.
func taskFilterParams(extra ...string) []string {
	return append([]string{"completed", "priority", "user_id", "search"}, extra...)
}

// visibleTasks asks the policy which tasks the subject may reach with action, as
// a condition the store turns into SQL: the policy, not Go, says which rows.
func (s *Server) visibleTasks(c *gin.Context, action string) (warden.Condition, error) {
	return s.authz.Filter(c.Request.Context(), subjectOf(c), action)
}

func (s *Server) handleTaskList(c *gin.Context) error {
	q := newQuery(c, taskFilterParams("skip", "limit")...)
	f := taskFilterFromQuery(q)
	f.Offset = q.intIn("skip", 0, 0, maxInt)
	f.Limit = min(q.intIn("limit", warden.ListLimitDefault, 1, maxInt), warden.ListLimitMax)
	if err := q.err(); err != nil {
		return err
	}
	vis, err := s.visibleTasks(c, "tasks:read")
	if err != nil {
		return err
	}
	sub := subjectOf(c)
	tasks, err := timeDB(c, func(ctx context.Context) ([]*warden.Task, error) {
		return s.tasks.FindTasks(ctx, sub.Tenant, vis, f)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, nonNil(tasks))
	return nil
}

// taskPage is the envelope of GET /api/tasks/paginated.
type taskPage struct {
	Items      []*warden.Task `json:"items"`
	Total      int            `json:"total"`
	Page       int            `json:"page"`
	PageSize   int            `json:"page_size"`
	Pages      int            `json:"pages"`
	NextCursor *string        `json:"next_cursor"`
}

func (s *Server) handleTaskPage(c *gin.Context) error {
	q := newQuery(c, taskFilterParams("page", "page_size", "cursor")...)
	f := taskFilterFromQuery(q)
	page := q.intIn("page", 1, 1, maxInt/warden.PageSizeMax)
	size := q.intIn("page_size", warden.PageSizeDefault, 1, warden.PageSizeMax)
	f.Cursor = q.cursor("cursor")
	if f.Cursor != nil && q.has("page") {
		q.fail("cursor", "cannot be combined with page")
	}
	if err := q.err(); err != nil {
		return err
	}
	vis, err := s.visibleTasks(c, "tasks:read")
	if err != nil {
		return err
	}
	sub := subjectOf(c)
	count := f
	count.Cursor = nil
	total, err := timeDB(c, func(ctx context.Context) (int, error) {
		return s.tasks.CountTasks(ctx, sub.Tenant, vis, count)
	})
	if err != nil {
		return err
	}
	if f.Cursor == nil {
		f.Offset = (page - 1) * size
	}
	// One extra row tells whether a next page exists without a second query.
	f.Limit = size + 1
	tasks, err := timeDB(c, func(ctx context.Context) ([]*warden.Task, error) {
		return s.tasks.FindTasks(ctx, sub.Tenant, vis, f)
	})
	if err != nil {
		return err
	}
	out := taskPage{Total: total, Page: page, PageSize: size, Pages: (total + size - 1) / size}
	if f.Cursor != nil {
		out.Page = 0
	}
	if len(tasks) > size {
		tasks = tasks[:size]
		next := encodeCursor(tasks[size-1])
		out.NextCursor = &next
	}
	out.Items = nonNil(tasks)
	respondJSON(c, http.StatusOK, out)
	return nil
}

// decodeTask decodes a create or full-replace body.
func decodeTask(raw json.RawMessage) (warden.TaskInput, error) {
	in, errs := decodeTaskInput(raw, "")
	return in, warden.Invalid(errs)
}

func decodePatch(raw json.RawMessage) (warden.TaskPatch, error) {
	p, errs := decodeTaskPatch(raw)
	return p, warden.Invalid(errs)
}

func (s *Server) handleTaskCreate(c *gin.Context) error {
	in, err := body(c, decodeTask)
	if err != nil {
		return err
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "tasks:create", newTaskResource(sub, 0)); err != nil {
		return err
	}
	t, err := timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return s.tasks.CreateTask(ctx, sub.Tenant, sub.ID, in)
	})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/tasks/"+strconv.FormatInt(t.ID, 10))
	respondJSON(c, http.StatusCreated, t)
	return nil
}

// loadTask finds a task of the subject's tenant and decides action on it.
func (s *Server) loadTask(c *gin.Context, action string) (*warden.Task, error) {
	sub := subjectOf(c)
	return loadRow(s, c, "task", action, func(ctx context.Context, id int64) (*warden.Task, error) {
		return s.tasks.FindTaskByID(ctx, sub.Tenant, id)
	}, taskResource)
}

// missing answers a row that does not exist. It still asks the policy (which
// denies: the row has no tenant), so a missing row and an invisible one carry
// the same headers, a decision id and an authz time, and the decision log
// shows the request.
func (s *Server) missing(c *gin.Context, typ, action string, id int64) error {
	s.decide(c, action, warden.Resource{Type: typ, ID: id})
	return notFound(typ)
}

// loadRow finds the row named by the route's {id} and decides action on it: a
// row the subject may not see answers exactly like a missing one.
func loadRow[T any](s *Server, c *gin.Context, typ, action string,
	find func(ctx context.Context, id int64) (T, error), resource func(T) warden.Resource) (T, error) {
	var zero T
	id, err := pathID(c)
	if err != nil {
		return zero, err
	}
	row, err := timeDB(c, func(ctx context.Context) (T, error) { return find(ctx, id) })
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return zero, s.missing(c, typ, action, id)
	} else if err != nil {
		return zero, err
	}
	if err := s.authorize(c, action, resource(row)); err != nil {
		return zero, err
	}
	return row, nil
}

func (s *Server) handleTaskGet(c *gin.Context) error {
	t, err := s.loadTask(c, "tasks:read")
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, t)
	return nil
}

func (s *Server) handleTaskUpdate(c *gin.Context) error {
	return changeTask(s, c, decodePatch, s.tasks.UpdateTask)
}

func (s *Server) handleTaskReplace(c *gin.Context) error {
	return changeTask(s, c, decodeTask, s.tasks.ReplaceTask)
}

// changeTask is PATCH and PUT: the id and body are validated before any lookup,
// so a bad request reveals nothing about the task; then the policy decides.
func changeTask[B any](s *Server, c *gin.Context, decode func(json.RawMessage) (B, error),
	write func(ctx context.Context, tenant string, id int64, b B) (*warden.Task, error)) error {
	if _, err := pathID(c); err != nil {
		return err
	}
	b, err := body(c, decode)
	if err != nil {
		return err
	}
	t, err := s.loadTask(c, "tasks:update")
	if err != nil {
		return err
	}
	t, err = timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return write(ctx, t.TenantID, t.ID, b)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, t)
	return nil
}

func (s *Server) handleTaskDelete(c *gin.Context) error {
	t, err := s.loadTask(c, "tasks:delete")
	if err != nil {
		return err
	}
	return s.deleted(c, func(ctx context.Context) error { return s.tasks.DeleteTask(ctx, t.TenantID, t.ID) })
}

func (s *Server) handleTaskBulkCreate(c *gin.Context) error {
	return s.bulkCreate(c, "tasks:bulk_create", warden.BulkCreateMax)
}

func (s *Server) handleTaskBulkImport(c *gin.Context) error {
	return s.bulkCreate(c, "tasks:import", warden.BulkImportMax)
}

// bulkCreate validates every item, asks the policy once for the whole batch, and
// writes all items in one statement: all of them or none.
func (s *Server) bulkCreate(c *gin.Context, action string, max int) error {
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	items, err := decodeArray(raw, 1, max)
	if err != nil {
		return err
	}
	ins := make([]warden.TaskInput, len(items))
	var errs []warden.FieldError
	for i, item := range items {
		in, e := decodeTaskInput(item, "["+strconv.Itoa(i)+"].")
		ins[i] = in
		errs = append(errs, e...)
	}
	if err := warden.Invalid(errs); err != nil {
		return err
	}
	sub := subjectOf(c)
	if err := s.authorize(c, action, newTaskResource(sub, len(ins))); err != nil {
		return err
	}
	tasks, err := timeDB(c, func(ctx context.Context) ([]*warden.Task, error) {
		return s.tasks.CreateTasks(ctx, sub.Tenant, sub.ID, ins)
	})
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusCreated, tasks)
	return nil
}

func (s *Server) handleTaskBulkDelete(c *gin.Context) error {
	return s.bulkChange(c, "tasks:bulk_delete", "deleted", func(ctx context.Context, tenant string, vis warden.Condition) (int64, error) {
		return s.tasks.DeleteTasks(ctx, tenant, vis, true)
	})
}

func (s *Server) handleTaskBulkComplete(c *gin.Context) error {
	return s.bulkChange(c, "tasks:bulk_complete", "completed", s.tasks.CompleteTasks)
}

// bulkChange decides action for the subject, asks the policy which rows that
// action reaches (the subject's own), and changes them in one statement,
// answering the count of rows actually changed.
func (s *Server) bulkChange(c *gin.Context, action, key string,
	change func(ctx context.Context, tenant string, vis warden.Condition) (int64, error)) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	sub := subjectOf(c)
	if err := s.authorize(c, action, newTaskResource(sub, 0)); err != nil {
		return err
	}
	vis, err := s.visibleTasks(c, action)
	if err != nil {
		return err
	}
	n, err := timeDB(c, func(ctx context.Context) (int64, error) { return change(ctx, sub.Tenant, vis) })
	if err != nil {
		return err
	}
	respondJSON(c, http.StatusOK, gin.H{key: n})
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
