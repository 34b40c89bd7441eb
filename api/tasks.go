package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// registerTaskRoutes mounts the task routes on a group that already requires a
// subject who is a member of its tenant.
func (s *Server) registerTaskRoutes(rg *gin.RouterGroup) {
	rg.GET("", s.handleTaskList)
	rg.GET("/paginated", s.handleTaskPage)
	rg.POST("", s.handleTaskCreate)
	rg.POST("/bulk", s.handleTaskBulkCreate)
	rg.POST("/bulk-import", s.handleTaskBulkImport)
	rg.DELETE("/bulk", s.handleTaskBulkDelete)
	rg.PATCH("/bulk/complete", s.handleTaskBulkComplete)
	rg.GET("/:id", s.handleTaskGet)
	rg.PATCH("/:id", s.handleTaskUpdate)
	rg.PUT("/:id", s.handleTaskReplace)
	rg.DELETE("/:id", s.handleTaskDelete)
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

var taskFilterParams = []string{"completed", "priority", "user_id", "search"}

// visibleTasks asks the policy which tasks the subject may reach with action, as
// a condition the store turns into SQL: the policy, not Go, says which rows.
func (s *Server) visibleTasks(c *gin.Context, action string) (warden.Condition, error) {
	st := state(c)
	return s.authz.Filter(c.Request.Context(), st.subject, action)
}

func (s *Server) handleTaskList(c *gin.Context) {
	q := newQuery(c, append(taskFilterParams, "skip", "limit")...)
	f := taskFilterFromQuery(q)
	f.Offset = q.intIn("skip", 0, 0, maxInt)
	f.Limit = q.intIn("limit", warden.ListLimitDefault, 1, maxInt)
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	f.Limit = min(f.Limit, warden.ListLimitMax)
	vis, err := s.visibleTasks(c, "tasks:read")
	if err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	tasks, err := timeDB(c, func(ctx context.Context) ([]*warden.Task, error) {
		return s.tasks.FindTasks(ctx, sub.Tenant, vis, f)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, nonNil(tasks))
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

func (s *Server) handleTaskPage(c *gin.Context) {
	q := newQuery(c, append(taskFilterParams, "page", "page_size", "cursor")...)
	f := taskFilterFromQuery(q)
	page := q.intIn("page", 1, 1, maxInt/warden.PageSizeMax)
	size := q.intIn("page_size", warden.PageSizeDefault, 1, warden.PageSizeMax)
	f.Cursor = q.cursor("cursor")
	if f.Cursor != nil && q.has("page") {
		q.fail("cursor", "cannot be combined with page")
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	vis, err := s.visibleTasks(c, "tasks:read")
	if err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	count := f
	count.Cursor = nil
	total, err := timeDB(c, func(ctx context.Context) (int, error) {
		return s.tasks.CountTasks(ctx, sub.Tenant, vis, count)
	})
	if err != nil {
		writeError(c, err)
		return
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
		writeError(c, err)
		return
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
}

func (s *Server) handleTaskCreate(c *gin.Context) {
	raw, err := readJSON(c)
	if err != nil {
		writeError(c, err)
		return
	}
	in, errs := decodeTaskInput(raw, "")
	if err := warden.Invalid(errs); err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "tasks:create", newTaskResource(sub, 0)); err != nil {
		writeError(c, err)
		return
	}
	t, err := timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return s.tasks.CreateTask(ctx, sub.Tenant, sub.ID, in)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/tasks/"+strconv.FormatInt(t.ID, 10))
	respondJSON(c, http.StatusCreated, t)
}

// loadTask finds a task of the subject's tenant and decides action on it: a task
// the subject may not see answers exactly like a missing one.
func (s *Server) loadTask(c *gin.Context, action string) (*warden.Task, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	sub := subjectOf(c)
	t, err := timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return s.tasks.FindTaskByID(ctx, sub.Tenant, id)
	})
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return nil, notFound("task")
	} else if err != nil {
		return nil, err
	}
	if err := s.authorize(c, action, taskResource(t)); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Server) handleTaskGet(c *gin.Context) {
	t, err := s.loadTask(c, "tasks:read")
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, t)
}

func (s *Server) handleTaskUpdate(c *gin.Context) {
	if _, err := pathID(c); err != nil {
		writeError(c, err)
		return
	}
	raw, err := readJSON(c)
	if err != nil {
		writeError(c, err)
		return
	}
	p, errs := decodeTaskPatch(raw)
	if err := warden.Invalid(errs); err != nil {
		writeError(c, err)
		return
	}
	t, err := s.loadTask(c, "tasks:update")
	if err != nil {
		writeError(c, err)
		return
	}
	t, err = timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return s.tasks.UpdateTask(ctx, t.TenantID, t.ID, p)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, t)
}

func (s *Server) handleTaskReplace(c *gin.Context) {
	if _, err := pathID(c); err != nil {
		writeError(c, err)
		return
	}
	raw, err := readJSON(c)
	if err != nil {
		writeError(c, err)
		return
	}
	in, errs := decodeTaskInput(raw, "")
	if err := warden.Invalid(errs); err != nil {
		writeError(c, err)
		return
	}
	t, err := s.loadTask(c, "tasks:update")
	if err != nil {
		writeError(c, err)
		return
	}
	t, err = timeDB(c, func(ctx context.Context) (*warden.Task, error) {
		return s.tasks.ReplaceTask(ctx, t.TenantID, t.ID, in)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, t)
}

func (s *Server) handleTaskDelete(c *gin.Context) {
	t, err := s.loadTask(c, "tasks:delete")
	if err != nil {
		writeError(c, err)
		return
	}
	_, err = timeDB(c, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.tasks.DeleteTask(ctx, t.TenantID, t.ID)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respond(c, http.StatusNoContent, "", nil)
}

func (s *Server) handleTaskBulkCreate(c *gin.Context) {
	s.bulkCreate(c, "tasks:bulk_create", warden.BulkCreateMax)
}

func (s *Server) handleTaskBulkImport(c *gin.Context) {
	s.bulkCreate(c, "tasks:import", warden.BulkImportMax)
}

// bulkCreate validates every item, asks the policy once for the whole batch, and
// writes all items in one transaction: all of them or none.
func (s *Server) bulkCreate(c *gin.Context, action string, max int) {
	raw, err := readJSON(c)
	if err != nil {
		writeError(c, err)
		return
	}
	items, err := decodeArray(raw, 1, max)
	if err != nil {
		writeError(c, err)
		return
	}
	ins := make([]warden.TaskInput, len(items))
	var errs []warden.FieldError
	for i, item := range items {
		in, e := decodeTaskInput(item, "["+strconv.Itoa(i)+"].")
		ins[i] = in
		errs = append(errs, e...)
	}
	if err := warden.Invalid(errs); err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	if err := s.authorize(c, action, newTaskResource(sub, len(ins))); err != nil {
		writeError(c, err)
		return
	}
	tasks, err := timeDB(c, func(ctx context.Context) ([]*warden.Task, error) {
		return s.tasks.CreateTasks(ctx, sub.Tenant, sub.ID, ins)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusCreated, tasks)
}

func (s *Server) handleTaskBulkDelete(c *gin.Context) {
	if err := newQuery(c).err(); err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "tasks:bulk_delete", newTaskResource(sub, 0)); err != nil {
		writeError(c, err)
		return
	}
	vis, err := s.visibleTasks(c, "tasks:bulk_delete")
	if err != nil {
		writeError(c, err)
		return
	}
	n, err := timeDB(c, func(ctx context.Context) (int64, error) {
		return s.tasks.DeleteTasks(ctx, sub.Tenant, vis, true)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, gin.H{"deleted": n})
}

func (s *Server) handleTaskBulkComplete(c *gin.Context) {
	if err := newQuery(c).err(); err != nil {
		writeError(c, err)
		return
	}
	sub := subjectOf(c)
	if err := s.authorize(c, "tasks:bulk_complete", newTaskResource(sub, 0)); err != nil {
		writeError(c, err)
		return
	}
	vis, err := s.visibleTasks(c, "tasks:bulk_complete")
	if err != nil {
		writeError(c, err)
		return
	}
	n, err := timeDB(c, func(ctx context.Context) (int64, error) {
		return s.tasks.CompleteTasks(ctx, sub.Tenant, vis)
	})
	if err != nil {
		writeError(c, err)
		return
	}
	respondJSON(c, http.StatusOK, gin.H{"completed": n})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
