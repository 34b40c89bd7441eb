package repo_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	warden "github.com/warden-authz/warden"
	"github.com/warden-authz/warden/repo"
)

// planNode is the part of EXPLAIN (FORMAT JSON) the checks read.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Plans        []planNode `json:"Plans"`
}

type explained struct {
	Plan          planNode `json:"Plan"`
	PlanningTime  float64  `json:"Planning Time"`
	ExecutionTime float64  `json:"Execution Time"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

func (n planNode) String() string {
	var b strings.Builder
	var rec func(planNode, int)
	rec = func(n planNode, depth int) {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", depth), n.NodeType)
		if n.IndexName != "" {
			fmt.Fprintf(&b, " using %s", n.IndexName)
		}
		if n.RelationName != "" {
			fmt.Fprintf(&b, " on %s", n.RelationName)
		}
		if n.IndexCond != "" {
			fmt.Fprintf(&b, " [%s]", n.IndexCond)
		}
		b.WriteString("\n")
		for _, c := range n.Plans {
			rec(c, depth+1)
		}
	}
	rec(n, 0)
	return b.String()
}

// TestExplain seeds 120 000 tasks and checks that the statements the task
// store runs use the indexes meant for them, never a sequential scan of tasks.
func TestExplain(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 120 000 rows; skipped with -short")
	}
	e := newEnv(t)
	ctx := t.Context()

	begin := time.Now()
	// 12 tenants of 10 000 tasks, 50 owners each; one title in 2 000 mentions an invoice.
	const seed = `INSERT INTO tasks (tenant_id, owner_id, title, description, completed, priority, created_at, updated_at)
		SELECT 'tenant-' || (i % 12), 'user-' || (i % 600),
			CASE WHEN i % 2000 = 7 THEN 'pay invoice ' || i ELSE 'task ' || md5(i::text) END,
			NULL, i % 3 = 0, (ARRAY['low', 'medium', 'high'])[1 + i % 3],
			timestamptz '2025-01-01' + i * interval '1 second', timestamptz '2025-01-01' + i * interval '1 second'
		FROM generate_series(1, 120000) AS i`
	if _, err := e.raw.ExecContext(ctx, seed); err != nil {
		t.Fatal(err)
	}
	seeded := time.Since(begin)
	if _, err := e.raw.ExecContext(ctx, `VACUUM ANALYZE tasks`); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded 120000 tasks in %v, vacuum analyze %v", seeded.Round(time.Millisecond), (time.Since(begin) - seeded).Round(time.Millisecond))

	var mid struct {
		ID        int64     `db:"id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := e.raw.GetContext(ctx, &mid, `SELECT id, created_at FROM tasks WHERE tenant_id = 'tenant-5' ORDER BY created_at DESC, id DESC OFFSET 5000 LIMIT 1`); err != nil {
		t.Fatal(err)
	}

	own := eq("owner_id", "user-5")
	tests := []struct {
		name      string
		count     bool
		vis       warden.Condition
		f         warden.TaskFilter
		wantIndex string
	}{
		{"list tenant", false, warden.MatchAll(), warden.TaskFilter{Limit: 100}, "tasks_tenant_created_idx"},
		{"list own", false, own, warden.TaskFilter{Limit: 100}, "tasks_tenant_owner_created_idx"},
		{"list user_id filter", false, warden.MatchAll(), warden.TaskFilter{UserID: ptr("user-5"), Completed: ptr(false)}, "tasks_tenant_owner_created_idx"},
		{"page deep", false, warden.MatchAll(), warden.TaskFilter{Limit: 20, Offset: 2000}, "tasks_tenant_created_idx"},
		{"keyset", false, warden.MatchAll(), warden.TaskFilter{Limit: 100, Cursor: &warden.TaskCursor{CreatedAt: mid.CreatedAt, ID: mid.ID}}, "tasks_tenant_created_idx"},
		{"keyset own", false, own, warden.TaskFilter{Limit: 100, Cursor: &warden.TaskCursor{CreatedAt: mid.CreatedAt, ID: mid.ID}}, "tasks_tenant_owner_created_idx"},
		{"search", false, warden.MatchAll(), warden.TaskFilter{Limit: 100, Search: ptr("invoice")}, "tasks_title_trgm_idx"},
		{"count own", true, own, warden.TaskFilter{}, "tasks_tenant_owner_created_idx"},
		{"count search", true, warden.MatchAll(), warden.TaskFilter{Search: ptr("INVOICE")}, "tasks_title_trgm_idx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args, err := repo.FindTasksQuery("tenant-5", tt.vis, tt.f)
			if tt.count {
				query, args, err = repo.CountTasksQuery("tenant-5", tt.vis, tt.f)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, e, query, args, tt.wantIndex)
		})
	}
	t.Run("by id", func(t *testing.T) {
		const q = `SELECT * FROM tasks WHERE tasks.tenant_id = $1 AND tasks.id = $2`
		checkPlan(t, e, q, []any{"tenant-5", mid.ID}, "tasks_pkey", "tasks_id_key")
	})
}

func checkPlan(t *testing.T, e *env, query string, args []any, wantIndex ...string) {
	t.Helper()
	var raw []byte
	if err := e.raw.GetContext(t.Context(), &raw, "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args...); err != nil {
		t.Fatal(err)
	}
	var plans []explained
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("plan %s: %v", raw, err)
	}
	p := plans[0]
	var indexes []string
	seq := false
	p.Plan.walk(func(n planNode) {
		if n.IndexName != "" {
			indexes = append(indexes, n.IndexName)
		}
		if n.NodeType == "Seq Scan" && n.RelationName == "tasks" {
			seq = true
		}
	})
	t.Logf("indexes %v, planning %.3f ms, execution %.3f ms\n%s", indexes, p.PlanningTime, p.ExecutionTime, p.Plan)
	if seq {
		t.Errorf("sequential scan of tasks")
	}
	found := false
	for _, ix := range indexes {
		found = found || slices.Contains(wantIndex, ix)
	}
	if !found {
		t.Errorf("plan uses %v, want one of %v", indexes, wantIndex)
	}
}

// TestBulkVersusLoop measures what the one-statement bulk insert saves over a
// round trip per row.
func TestBulkVersusLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("timing only; skipped with -short")
	}
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	in := make([]warden.TaskInput, warden.BulkImportMax)
	for i := range in {
		in[i] = warden.TaskInput{Title: fmt.Sprintf("row %d", i), Description: ptr("d")}
	}
	begin := time.Now()
	if _, err := ts.CreateTasks(ctx, "t1", "u1", in); err != nil {
		t.Fatal(err)
	}
	bulk := time.Since(begin)
	begin = time.Now()
	for _, task := range in {
		if _, err := ts.CreateTask(ctx, "t2", "u1", task); err != nil {
			t.Fatal(err)
		}
	}
	loop := time.Since(begin)
	t.Logf("1000 rows: one CreateTasks %v, 1000 CreateTask %v (%.0fx)", bulk.Round(time.Microsecond),
		loop.Round(time.Millisecond), float64(loop)/float64(bulk))
	if bulk >= loop {
		t.Errorf("bulk insert (%v) no faster than a loop (%v)", bulk, loop)
	}
}
