package repo_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	warden "github.com/warden-authz/warden"
	"github.com/warden-authz/warden/repo"
)

func eq(field string, v any) warden.Condition {
	return warden.Condition{Op: "eq", Field: field, Value: v}
}

func TestWhereClause(t *testing.T) {
	tests := []struct {
		name     string
		give     warden.Condition
		table    string
		offset   int
		wantSQL  string
		wantArgs []any
	}{
		{"all", warden.MatchAll(), "tasks", 0, "TRUE", nil},
		{"none", warden.MatchNone(), "tasks", 0, "FALSE", nil},
		{"eq owner", eq("owner_id", "u1"), "tasks", 1, "tasks.owner_id = $2", []any{"u1"}},
		{"eq bool", eq("completed", false), "tasks", 0, "tasks.completed = $1", []any{false}},
		{"ne", warden.Condition{Op: "ne", Field: "priority", Value: "low"}, "tasks", 0, "tasks.priority <> $1", []any{"low"}},
		{"lt lte gt gte", warden.Condition{Op: "and", Children: []warden.Condition{
			{Op: "lt", Field: "owner_id", Value: "m"},
			{Op: "lte", Field: "owner_id", Value: "n"},
			{Op: "gt", Field: "owner_id", Value: "a"},
			{Op: "gte", Field: "owner_id", Value: "b"},
		}}, "tasks", 0,
			"(tasks.owner_id < $1 AND tasks.owner_id <= $2 AND tasks.owner_id > $3 AND tasks.owner_id >= $4)",
			[]any{"m", "n", "a", "b"}},
		{"or of and", warden.Condition{Op: "or", Children: []warden.Condition{
			eq("is_public", true),
			{Op: "and", Children: []warden.Condition{eq("tenant_id", "t1"), eq("owner_id", "u1")}},
		}}, "posts", 0, "(posts.is_public = $1 OR (posts.tenant_id = $2 AND posts.owner_id = $3))", []any{true, "t1", "u1"}},
		{"not", warden.Condition{Op: "not", Children: []warden.Condition{eq("status", "open")}}, "reports", 3,
			"(NOT reports.status = $4)", []any{"open"}},
		{"in", warden.Condition{Op: "in", Field: "priority", Value: []any{"low", "high"}}, "tasks", 0,
			"tasks.priority IN ($1, $2)", []any{"low", "high"}},
		{"in strings", warden.Condition{Op: "in", Field: "status", Value: []string{"open"}}, "reports", 0,
			"reports.status IN ($1)", []any{"open"}},
		{"in empty", warden.Condition{Op: "in", Field: "priority", Value: []any{}}, "tasks", 0, "FALSE", nil},
		{"empty and", warden.Condition{Op: "and"}, "tasks", 0, "TRUE", nil},
		{"empty or", warden.Condition{Op: "or"}, "tasks", 0, "FALSE", nil},
		{"startswith escapes", warden.Condition{Op: "startswith", Field: "owner_id", Value: `a%b_c\`}, "tasks", 0,
			`tasks.owner_id LIKE $1 ESCAPE '\'`, []any{`a\%b\_c\\%`}},
		{"endswith", warden.Condition{Op: "endswith", Field: "reporter_id", Value: "@x"}, "reports", 0,
			`reports.reporter_id LIKE $1 ESCAPE '\'`, []any{"%@x"}},
		{"contains", warden.Condition{Op: "contains", Field: "tenant_id", Value: "org"}, "posts", 0,
			`posts.tenant_id LIKE $1 ESCAPE '\'`, []any{"%org%"}},
		{"injection stays a value", eq("owner_id", "x' OR '1'='1"), "tasks", 0,
			"tasks.owner_id = $1", []any{"x' OR '1'='1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, err := repo.WhereClause(tt.give, tt.table, tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tt.wantSQL {
				t.Errorf("sql = %s, want %s", sql, tt.wantSQL)
			}
			if diff := cmp.Diff(tt.wantArgs, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWhereClauseFailsClosed(t *testing.T) {
	deep := eq("owner_id", "u")
	for range 40 {
		deep = warden.Condition{Op: "not", Children: []warden.Condition{deep}}
	}
	tests := []struct {
		name  string
		give  warden.Condition
		table string
	}{
		{"unknown column", eq("title", "x"), "tasks"},
		{"column of another table", eq("is_public", true), "tasks"},
		{"injection as a column", eq("owner_id = owner_id OR TRUE --", "x"), "tasks"},
		{"unknown table", eq("owner_id", "x"), "users"},
		{"unknown op", warden.Condition{Op: "regex", Field: "owner_id", Value: ".*"}, "tasks"},
		{"empty op", warden.Condition{}, "tasks"},
		{"number for text", eq("owner_id", 1.0), "tasks"},
		{"string for bool", eq("completed", "true"), "tasks"},
		{"nil value", eq("owner_id", nil), "tasks"},
		{"order on bool", warden.Condition{Op: "lt", Field: "completed", Value: true}, "tasks"},
		{"in not a list", warden.Condition{Op: "in", Field: "priority", Value: "low"}, "tasks"},
		{"in mixed types", warden.Condition{Op: "in", Field: "priority", Value: []any{"low", 1.0}}, "tasks"},
		{"like on bool", warden.Condition{Op: "contains", Field: "completed", Value: "t"}, "tasks"},
		{"like non-string", warden.Condition{Op: "startswith", Field: "owner_id", Value: true}, "tasks"},
		{"not with two children", warden.Condition{Op: "not", Children: []warden.Condition{eq("owner_id", "a"), eq("owner_id", "b")}}, "tasks"},
		{"bad child", warden.Condition{Op: "or", Children: []warden.Condition{warden.MatchAll(), eq("nope", "x")}}, "tasks"},
		{"too deep", deep, "tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, err := repo.WhereClause(tt.give, tt.table, 0)
			if err == nil {
				t.Fatalf("got %q %v, want an error", sql, args)
			}
		})
	}
}

func TestEscapeLike(t *testing.T) {
	if got, want := repo.EscapeLike(`100%_\done`), `100\%\_\\done`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// The rendered clause must behave in PostgreSQL as it reads: a hostile value
// matches only itself.
func TestWhereClauseInDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	hostile := []string{"x' OR '1'='1", `u\`, "u%", "u_", "'; DROP TABLE tasks; --"}
	for _, owner := range append([]string{"u1", "u2", "ux"}, hostile...) {
		if _, err := ts.CreateTask(ctx, "t1", owner, warden.TaskInput{Title: "task of " + owner}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		give warden.Condition
		want []string
	}{
		{eq("owner_id", "x' OR '1'='1"), []string{"x' OR '1'='1"}},
		{eq("owner_id", "'; DROP TABLE tasks; --"), []string{"'; DROP TABLE tasks; --"}},
		{warden.Condition{Op: "startswith", Field: "owner_id", Value: "u%"}, []string{"u%"}},
		{warden.Condition{Op: "startswith", Field: "owner_id", Value: "u_"}, []string{"u_"}},
		{warden.Condition{Op: "endswith", Field: "owner_id", Value: `\`}, []string{`u\`}},
		{warden.Condition{Op: "contains", Field: "owner_id", Value: "'"}, []string{"'; DROP TABLE tasks; --", "x' OR '1'='1"}},
		{warden.Condition{Op: "not", Children: []warden.Condition{{Op: "startswith", Field: "owner_id", Value: "u"}}},
			[]string{"'; DROP TABLE tasks; --", "x' OR '1'='1"}},
		{warden.Condition{Op: "in", Field: "owner_id", Value: []any{"u1", "u2", "nobody"}}, []string{"u1", "u2"}},
		{warden.MatchNone(), nil},
	}
	for _, tt := range tests {
		got, err := ts.FindTasks(ctx, "t1", tt.give, warden.TaskFilter{})
		if err != nil {
			t.Fatal(err)
		}
		owners := ownersOf(got)
		if diff := cmp.Diff(tt.want, owners); diff != "" {
			t.Errorf("%+v: owners (-want +got):\n%s", tt.give, diff)
		}
	}
	var n int
	if err := e.raw.GetContext(ctx, &n, "SELECT count(*) FROM tasks"); err != nil || n != 8 {
		t.Errorf("tasks left: %d (%v), want 8", n, err)
	}
}

// ownersOf returns the sorted distinct owners of tasks (nil for none).
func ownersOf(tasks []*warden.Task) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tasks {
		if !seen[t.UserID] {
			seen[t.UserID] = true
			out = append(out, t.UserID)
		}
	}
	slices.Sort(out)
	return out
}
