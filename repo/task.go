package repo

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	warden "github.com/warden-authz/warden"
)

const taskColumns = `tasks.id, tasks.tenant_id, tasks.owner_id, tasks.title, tasks.description,
	tasks.completed, tasks.priority, tasks.due_date, tasks.created_at, tasks.updated_at`

// TaskStore reads and writes tasks. Every method is scoped by tenant.
type TaskStore struct {
	ext sqlx.ExtContext
	// Now stamps created_at and updated_at.
	Now func() time.Time
}

// NewTaskStore returns a store on db, stamping rows with the wall clock.
func NewTaskStore(db *DB) *TaskStore {
	return &TaskStore{ext: db.db, Now: time.Now}
}

// WithTx returns a copy of the store whose statements run in tx.
func (s *TaskStore) WithTx(tx *sqlx.Tx) *TaskStore {
	c := *s
	c.ext = tx
	return &c
}

// FindTaskByID returns a task of the tenant (ENOTFOUND if there is none).
func (s *TaskStore) FindTaskByID(ctx context.Context, tenant string, id int64) (*warden.Task, error) {
	const q = `SELECT ` + taskColumns + ` FROM tasks WHERE tasks.tenant_id = $1 AND tasks.id = $2`
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var t warden.Task
	if err := sqlx.GetContext(ctx, s.ext, &t, q, tenant, id); err != nil {
		return nil, fmt.Errorf("find task %d: %w", id, notFound(err, "task not found"))
	}
	return &t, nil
}

// FindTasks lists the tenant's tasks that vis lets through and f selects,
// newest first.
func (s *TaskStore) FindTasks(ctx context.Context, tenant string, vis warden.Condition, f warden.TaskFilter) ([]*warden.Task, error) {
	query, args, err := findTasksQuery(tenant, vis, f)
	if err != nil {
		return nil, fmt.Errorf("find tasks: %w", err)
	}
	tasks := []*warden.Task{}
	if err := sqlx.SelectContext(ctx, s.ext, &tasks, query, args...); err != nil {
		return nil, fmt.Errorf("find tasks: %w", translate(err))
	}
	return tasks, nil
}

func findTasksQuery(tenant string, vis warden.Condition, f warden.TaskFilter) (string, []any, error) {
	const q = `SELECT ` + taskColumns + ` FROM tasks WHERE `
	if f.Offset < 0 {
		return "", nil, warden.Errorf(warden.EINVALID, "offset must not be negative")
	}
	where, args, err := taskWhere(tenant, vis, f)
	if err != nil {
		return "", nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = warden.ListLimitDefault
	}
	args = append(args, limit, f.Offset)
	return q + where + ` ORDER BY tasks.created_at DESC, tasks.id DESC LIMIT $` +
		strconv.Itoa(len(args)-1) + ` OFFSET $` + strconv.Itoa(len(args)), args, nil
}

// CountTasks counts what FindTasks would list without Offset and Limit.
func (s *TaskStore) CountTasks(ctx context.Context, tenant string, vis warden.Condition, f warden.TaskFilter) (int, error) {
	query, args, err := countTasksQuery(tenant, vis, f)
	if err != nil {
		return 0, fmt.Errorf("count tasks: %w", err)
	}
	var n int
	if err := sqlx.GetContext(ctx, s.ext, &n, query, args...); err != nil {
		return 0, fmt.Errorf("count tasks: %w", translate(err))
	}
	return n, nil
}

func countTasksQuery(tenant string, vis warden.Condition, f warden.TaskFilter) (string, []any, error) {
	const q = `SELECT count(*) FROM tasks WHERE `
	where, args, err := taskWhere(tenant, vis, f)
	if err != nil {
		return "", nil, err
	}
	return q + where, args, nil
}

// taskWhere is the condition FindTasks and CountTasks share; $1 is the tenant.
func taskWhere(tenant string, vis warden.Condition, f warden.TaskFilter) (string, []any, error) {
	if err := checkTenant(tenant); err != nil {
		return "", nil, err
	}
	args := []any{tenant}
	visSQL, visArgs, err := WhereClause(vis, "tasks", len(args))
	if err != nil {
		return "", nil, err
	}
	args = append(args, visArgs...)
	var b strings.Builder
	b.WriteString("tasks.tenant_id = $1 AND " + visSQL)
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Completed != nil {
		b.WriteString(" AND tasks.completed = " + param(*f.Completed))
	}
	if f.Priority != nil {
		b.WriteString(" AND tasks.priority = " + param(*f.Priority))
	}
	if f.UserID != nil {
		b.WriteString(" AND tasks.owner_id = " + param(*f.UserID))
	}
	if f.Search != nil && *f.Search != "" {
		b.WriteString(` AND tasks.title ILIKE '%' || ` + param(EscapeLike(*f.Search)) + ` || '%' ESCAPE '\'`)
	}
	if f.Cursor != nil {
		// A row comparison, so the (tenant_id, created_at DESC, id DESC) indexes seek to it.
		createdAt := param(f.Cursor.CreatedAt)
		b.WriteString(" AND (tasks.created_at, tasks.id) < (" + createdAt + ", " + param(f.Cursor.ID) + ")")
	}
	return b.String(), args, nil
}

// CreateTask inserts a task owned by owner. The input should be normalised
// and validated; the table's constraints answer EINVALID otherwise.
func (s *TaskStore) CreateTask(ctx context.Context, tenant, owner string, in warden.TaskInput) (*warden.Task, error) {
	const q = `INSERT INTO tasks (tenant_id, owner_id, title, description, completed, priority, due_date, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		RETURNING ` + taskColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var t warden.Task
	err := sqlx.GetContext(ctx, s.ext, &t, q, tenant, owner, in.Title, in.Description, in.Completed,
		priorityOrDefault(in.Priority), in.DueDate, now(s.Now))
	if err != nil {
		return nil, fmt.Errorf("create task: %w", translate(err))
	}
	return &t, nil
}

// CreateTasks inserts every task or none, in one statement, and returns them
// in input order. Field errors name the item: "[3].title".
func (s *TaskStore) CreateTasks(ctx context.Context, tenant, owner string, in []warden.TaskInput) ([]*warden.Task, error) {
	// One INSERT over unnested arrays: one round trip whatever the count, and a
	// single statement is atomic, so a failing row rolls back all of them.
	const q = `INSERT INTO tasks (tenant_id, owner_id, title, description, completed, priority, due_date, created_at, updated_at)
		SELECT $1, $2, t.title, t.description, t.completed, t.priority, t.due_date, $3, $3
		FROM unnest($4::text[], $5::text[], $6::boolean[], $7::text[], $8::timestamptz[])
			WITH ORDINALITY AS t(title, description, completed, priority, due_date, ord)
		ORDER BY t.ord
		RETURNING ` + taskColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return []*warden.Task{}, nil
	}
	titles := make([]string, len(in))
	descriptions := make([]sql.NullString, len(in))
	completed := make([]bool, len(in))
	priorities := make([]string, len(in))
	// Text, because pq's array encoder has no timestamp format.
	dueDates := make([]sql.NullString, len(in))
	for i, t := range in {
		titles[i] = t.Title
		if t.Description != nil {
			descriptions[i] = sql.NullString{String: *t.Description, Valid: true}
		}
		completed[i] = t.Completed
		priorities[i] = priorityOrDefault(t.Priority)
		if t.DueDate != nil {
			dueDates[i] = sql.NullString{String: t.DueDate.Format(time.RFC3339Nano), Valid: true}
		}
	}
	tasks := make([]*warden.Task, 0, len(in))
	err := sqlx.SelectContext(ctx, s.ext, &tasks, q, tenant, owner, now(s.Now),
		pq.StringArray(titles), pq.Array(descriptions), pq.BoolArray(completed),
		pq.StringArray(priorities), pq.Array(dueDates))
	if err != nil {
		return nil, fmt.Errorf("create %d tasks: %w", len(in), bulkError(translate(err), in))
	}
	// Identities are drawn in insertion order, which is input order.
	slices.SortFunc(tasks, func(a, b *warden.Task) int { return cmp.Compare(a.ID, b.ID) })
	return tasks, nil
}

// bulkError points a constraint failure at the first item that breaks it, so
// the client learns which one; the table says what, the items say where.
func bulkError(err error, in []warden.TaskInput) error {
	fields := warden.ErrorFields(err)
	if len(fields) != 1 {
		return err
	}
	for i, t := range in {
		item := t
		item.Priority = priorityOrDefault(item.Priority)
		for _, fe := range item.Validate("") {
			if fe.Field == fields[0].Field {
				return fmt.Errorf("%w: %w", warden.Invalid([]warden.FieldError{{
					Field: "[" + strconv.Itoa(i) + "]." + fe.Field, Message: fields[0].Message,
				}}), err)
			}
		}
	}
	return err
}

// ReplaceTask overwrites every client-settable field of a task (PUT).
func (s *TaskStore) ReplaceTask(ctx context.Context, tenant string, id int64, in warden.TaskInput) (*warden.Task, error) {
	const q = `UPDATE tasks SET title = $3, description = $4, completed = $5, priority = $6, due_date = $7, updated_at = $8
		WHERE tasks.tenant_id = $1 AND tasks.id = $2
		RETURNING ` + taskColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var t warden.Task
	err := sqlx.GetContext(ctx, s.ext, &t, q, tenant, id, in.Title, in.Description, in.Completed,
		priorityOrDefault(in.Priority), in.DueDate, now(s.Now))
	if err != nil {
		return nil, fmt.Errorf("replace task %d: %w", id, notFound(err, "task not found"))
	}
	return &t, nil
}

// UpdateTask changes only the fields the patch carries; a null clears a
// nullable field, and updated_at moves even for an empty patch.
func (s *TaskStore) UpdateTask(ctx context.Context, tenant string, id int64, p warden.TaskPatch) (*warden.Task, error) {
	// One statement whatever was sent: each field has a "sent" flag and a value.
	const q = `UPDATE tasks SET
		title       = CASE WHEN $3::boolean  THEN $4::text         ELSE title       END,
		description = CASE WHEN $5::boolean  THEN $6::text         ELSE description END,
		completed   = CASE WHEN $7::boolean  THEN $8::boolean      ELSE completed   END,
		priority    = CASE WHEN $9::boolean  THEN $10::text        ELSE priority    END,
		due_date    = CASE WHEN $11::boolean THEN $12::timestamptz ELSE due_date    END,
		updated_at  = $13
		WHERE tasks.tenant_id = $1 AND tasks.id = $2
		RETURNING ` + taskColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var t warden.Task
	err := sqlx.GetContext(ctx, s.ext, &t, q, tenant, id,
		p.Title.Set, optionalValue(p.Title),
		p.Description.Set, optionalValue(p.Description),
		p.Completed.Set, optionalValue(p.Completed),
		p.Priority.Set, optionalValue(p.Priority),
		p.DueDate.Set, optionalValue(p.DueDate),
		now(s.Now))
	if err != nil {
		return nil, fmt.Errorf("update task %d: %w", id, notFound(err, "task not found"))
	}
	return &t, nil
}

// optionalValue is the SQL value of a patch field: NULL when sent as null (or
// not sent, when the CASE ignores it).
func optionalValue[T any](o warden.Optional[T]) any {
	if !o.Set || o.Null {
		return nil
	}
	return o.Value
}

// DeleteTask deletes a task of the tenant (ENOTFOUND if there is none).
func (s *TaskStore) DeleteTask(ctx context.Context, tenant string, id int64) error {
	const q = `DELETE FROM tasks WHERE tasks.tenant_id = $1 AND tasks.id = $2`
	if err := checkTenant(tenant); err != nil {
		return err
	}
	res, err := s.ext.ExecContext(ctx, q, tenant, id)
	if err != nil {
		return fmt.Errorf("delete task %d: %w", id, translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete task %d: %w", id, translate(err))
	} else if n == 0 {
		return fmt.Errorf("delete task %d: %w", id, warden.Errorf(warden.ENOTFOUND, "task not found"))
	}
	return nil
}

// DeleteTasks deletes the tenant's tasks that vis lets through (only the
// completed ones if completedOnly) and returns how many.
func (s *TaskStore) DeleteTasks(ctx context.Context, tenant string, vis warden.Condition, completedOnly bool) (int64, error) {
	const q = `DELETE FROM tasks WHERE tasks.tenant_id = $1 AND `
	if err := checkTenant(tenant); err != nil {
		return 0, err
	}
	where, args, err := WhereClause(vis, "tasks", 1)
	if err != nil {
		return 0, fmt.Errorf("delete tasks: %w", err)
	}
	if completedOnly {
		where += " AND tasks.completed"
	}
	res, err := s.ext.ExecContext(ctx, q+where, append([]any{tenant}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("delete tasks: %w", translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete tasks: %w", translate(err))
	}
	return n, nil
}

// CompleteTasks marks the tenant's open tasks that vis lets through as
// completed and returns how many changed.
func (s *TaskStore) CompleteTasks(ctx context.Context, tenant string, vis warden.Condition) (int64, error) {
	const q = `UPDATE tasks SET completed = true, updated_at = $2
		WHERE tasks.tenant_id = $1 AND NOT tasks.completed AND `
	if err := checkTenant(tenant); err != nil {
		return 0, err
	}
	where, args, err := WhereClause(vis, "tasks", 2)
	if err != nil {
		return 0, fmt.Errorf("complete tasks: %w", err)
	}
	res, err := s.ext.ExecContext(ctx, q+where, append([]any{tenant, now(s.Now)}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("complete tasks: %w", translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("complete tasks: %w", translate(err))
	}
	return n, nil
}

func priorityOrDefault(p string) string {
	if p == "" {
		return warden.PriorityMedium
	}
	return p
}

// checkTenant refuses an empty tenant: a bug upstream, never a request to see
// everything.
func checkTenant(tenant string) error {
	if tenant == "" {
		return errors.New("repo: empty tenant")
	}
	return nil
}

// notFound translates err, naming the missing thing when there was no row.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return warden.Errorf(warden.ENOTFOUND, "%s", msg)
	}
	return translate(err)
}

// now reads the clock at the database's precision, in UTC, so a value written
// compares equal to the value read back.
func now(clock func() time.Time) time.Time {
	if clock == nil {
		clock = time.Now
	}
	return clock().UTC().Truncate(time.Microsecond)
}
