package repo_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	warden "github.com/warden-authz/warden"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := warden.ErrorCode(err); got != code {
		t.Errorf("error %v: code %q, want %q", err, got, code)
	}
}

func TestTaskCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()

	due := time.Date(2025, 4, 1, 9, 30, 0, 123456000, time.FixedZone("CEST", 2*3600))
	created, err := ts.CreateTask(ctx, "t1", "u1", warden.TaskInput{
		Title: "Write docs", Description: ptr("all of them"), Priority: warden.PriorityHigh, DueDate: &due,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &warden.Task{
		ID: created.ID, TenantID: "t1", Title: "Write docs", Description: ptr("all of them"),
		Priority: warden.PriorityHigh, DueDate: ptr(due.UTC()), UserID: "u1",
		CreatedAt: created.CreatedAt, UpdatedAt: created.CreatedAt,
	}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if created.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at in %v, want UTC", created.CreatedAt.Location())
	}

	got, err := ts.FindTaskByID(ctx, "t1", created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}

	// PUT: fields not sent take their defaults.
	replaced, err := ts.ReplaceTask(ctx, "t1", created.ID, warden.TaskInput{Title: "Rewrite docs"})
	if err != nil {
		t.Fatal(err)
	}
	want = &warden.Task{
		ID: created.ID, TenantID: "t1", Title: "Rewrite docs", Priority: warden.PriorityMedium, UserID: "u1",
		CreatedAt: created.CreatedAt, UpdatedAt: replaced.UpdatedAt,
	}
	if diff := cmp.Diff(want, replaced); diff != "" {
		t.Errorf("replaced (-want +got):\n%s", diff)
	}
	if !replaced.UpdatedAt.After(created.UpdatedAt) {
		t.Errorf("updated_at %v did not move past %v", replaced.UpdatedAt, created.UpdatedAt)
	}

	if err := ts.DeleteTask(ctx, "t1", created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = ts.FindTaskByID(ctx, "t1", created.ID)
	wantCode(t, err, warden.ENOTFOUND)
	if msg := warden.ErrorMessage(err); msg != "task not found" {
		t.Errorf("message %q, want %q", msg, "task not found")
	}
	wantCode(t, ts.DeleteTask(ctx, "t1", created.ID), warden.ENOTFOUND)
	_, err = ts.ReplaceTask(ctx, "t1", created.ID, warden.TaskInput{Title: "x"})
	wantCode(t, err, warden.ENOTFOUND)
}

func TestTaskTenantScoping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	a, err := ts.CreateTask(ctx, "tenant-a", "u1", warden.TaskInput{Title: "secret of A"})
	if err != nil {
		t.Fatal(err)
	}
	// tenant-b has a user with the same id: ids are only unique within a tenant.
	if _, err := ts.CreateTask(ctx, "tenant-b", "u1", warden.TaskInput{Title: "B's own"}); err != nil {
		t.Fatal(err)
	}

	_, err = ts.FindTaskByID(ctx, "tenant-b", a.ID)
	wantCode(t, err, warden.ENOTFOUND)
	_, err = ts.ReplaceTask(ctx, "tenant-b", a.ID, warden.TaskInput{Title: "stolen"})
	wantCode(t, err, warden.ENOTFOUND)
	_, err = ts.UpdateTask(ctx, "tenant-b", a.ID, warden.TaskPatch{Title: warden.Optional[string]{Set: true, Value: "stolen"}})
	wantCode(t, err, warden.ENOTFOUND)
	wantCode(t, ts.DeleteTask(ctx, "tenant-b", a.ID), warden.ENOTFOUND)

	// Even a condition naming tenant-a cannot reach it from tenant-b.
	visA := warden.Condition{Op: "or", Children: []warden.Condition{warden.MatchAll(), eq("tenant_id", "tenant-a")}}
	list, err := ts.FindTasks(ctx, "tenant-b", visA, warden.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].TenantID != "tenant-b" {
		t.Errorf("tenant-b lists %+v, want only its own task", list)
	}
	n, err := ts.CountTasks(ctx, "tenant-b", visA, warden.TaskFilter{})
	if err != nil || n != 1 {
		t.Errorf("tenant-b counts %d (%v), want 1", n, err)
	}
	if n, err := ts.CompleteTasks(ctx, "tenant-b", eq("owner_id", "u1")); err != nil || n != 1 {
		t.Errorf("tenant-b completes %d (%v), want 1 (its own)", n, err)
	}
	if n, err := ts.DeleteTasks(ctx, "tenant-b", visA, false); err != nil || n != 1 {
		t.Errorf("tenant-b deletes %d (%v), want 1 (its own)", n, err)
	}

	got, err := ts.FindTaskByID(ctx, "tenant-a", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("tenant-a's task changed (-want +got):\n%s", diff)
	}

	_, err = ts.FindTaskByID(ctx, "", a.ID)
	if err == nil {
		t.Error("empty tenant: got no error")
	}
	if _, err := ts.FindTasks(ctx, "", warden.MatchAll(), warden.TaskFilter{}); err == nil {
		t.Error("FindTasks with empty tenant: got no error")
	}
}

func TestUpdateTaskPatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	due := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	newDue := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	base := warden.TaskInput{Title: "base", Description: ptr("desc"), Priority: warden.PriorityLow, DueDate: &due}

	set := func(s string) warden.Optional[string] { return warden.Optional[string]{Set: true, Value: s} }
	null := warden.Optional[string]{Set: true, Null: true}
	tests := []struct {
		name  string
		patch warden.TaskPatch
		want  func(t warden.Task) warden.Task
	}{
		{"empty patch changes nothing but updated_at", warden.TaskPatch{}, func(t warden.Task) warden.Task { return t }},
		{"title only", warden.TaskPatch{Title: set("new title")}, func(t warden.Task) warden.Task {
			t.Title = "new title"
			return t
		}},
		{"null clears description", warden.TaskPatch{Description: null}, func(t warden.Task) warden.Task {
			t.Description = nil
			return t
		}},
		{"null clears due date", warden.TaskPatch{DueDate: warden.Optional[time.Time]{Set: true, Null: true}}, func(t warden.Task) warden.Task {
			t.DueDate = nil
			return t
		}},
		{"several fields", warden.TaskPatch{
			Description: set("other"),
			Completed:   warden.Optional[bool]{Set: true, Value: true},
			Priority:    set(warden.PriorityHigh),
			DueDate:     warden.Optional[time.Time]{Set: true, Value: newDue},
		}, func(t warden.Task) warden.Task {
			t.Description = ptr("other")
			t.Completed = true
			t.Priority = warden.PriorityHigh
			t.DueDate = &newDue
			return t
		}},
		{"completed false is sent, not absent", warden.TaskPatch{Completed: warden.Optional[bool]{Set: true}}, func(t warden.Task) warden.Task {
			t.Completed = false
			return t
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			if tt.name == "completed false is sent, not absent" {
				in.Completed = true
			}
			orig, err := ts.CreateTask(ctx, "t1", "u1", in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ts.UpdateTask(ctx, "t1", orig.ID, tt.patch)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want(*orig)
			want.UpdatedAt = got.UpdatedAt
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !got.UpdatedAt.After(orig.UpdatedAt) {
				t.Errorf("updated_at %v did not move past %v", got.UpdatedAt, orig.UpdatedAt)
			}
			// Agrees with the domain's own idea of a patch.
			applied := tt.patch.Apply(*orig)
			applied.UpdatedAt = got.UpdatedAt
			if diff := cmp.Diff(&applied, got); diff != "" {
				t.Errorf("differs from TaskPatch.Apply (-apply +got):\n%s", diff)
			}
		})
	}

	orig, err := ts.CreateTask(ctx, "t1", "u1", base)
	if err != nil {
		t.Fatal(err)
	}
	invalid := []struct {
		name  string
		patch warden.TaskPatch
		field string
	}{
		{"null title", warden.TaskPatch{Title: null}, "title"},
		{"bad priority", warden.TaskPatch{Priority: set("urgent")}, "priority"},
		{"long title", warden.TaskPatch{Title: set(strings.Repeat("é", 201))}, "title"},
		{"null completed", warden.TaskPatch{Completed: warden.Optional[bool]{Set: true, Null: true}}, "completed"},
	}
	for _, tt := range invalid {
		_, err := ts.UpdateTask(ctx, "t1", orig.ID, tt.patch)
		wantCode(t, err, warden.EINVALID)
		if fields := warden.ErrorFields(err); len(fields) != 1 || fields[0].Field != tt.field {
			t.Errorf("%s: fields %+v, want one naming %s", tt.name, fields, tt.field)
		}
	}
	got, err := ts.FindTaskByID(ctx, "t1", orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orig, got); diff != "" {
		t.Errorf("failed patches changed the task (-want +got):\n%s", diff)
	}
}

func TestFindTasksFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	var all []*warden.Task
	for i, in := range []struct {
		owner    string
		priority string
		done     bool
	}{
		{"u1", "low", false}, {"u1", "high", true}, {"u2", "high", false},
		{"u2", "medium", true}, {"u1", "high", false}, {"u3", "low", true},
	} {
		task, err := ts.CreateTask(ctx, "t1", in.owner, warden.TaskInput{
			Title: "task " + string(rune('a'+i)), Priority: in.priority, Completed: in.done,
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append([]*warden.Task{task}, all...) // newest first
	}
	ids := func(tasks []*warden.Task) []int64 {
		out := []int64{}
		for _, t := range tasks {
			out = append(out, t.ID)
		}
		return out
	}
	pick := func(keep func(*warden.Task) bool) []int64 {
		out := []int64{}
		for _, t := range all {
			if keep(t) {
				out = append(out, t.ID)
			}
		}
		return out
	}
	tests := []struct {
		name string
		vis  warden.Condition
		f    warden.TaskFilter
		want []int64
	}{
		{"all newest first", warden.MatchAll(), warden.TaskFilter{}, ids(all)},
		{"none", warden.MatchNone(), warden.TaskFilter{}, []int64{}},
		{"own", eq("owner_id", "u1"), warden.TaskFilter{}, pick(func(t *warden.Task) bool { return t.UserID == "u1" })},
		{"completed", warden.MatchAll(), warden.TaskFilter{Completed: ptr(true)}, pick(func(t *warden.Task) bool { return t.Completed })},
		{"open high", warden.MatchAll(), warden.TaskFilter{Completed: ptr(false), Priority: ptr("high")},
			pick(func(t *warden.Task) bool { return !t.Completed && t.Priority == "high" })},
		{"user_id within visibility", eq("owner_id", "u1"), warden.TaskFilter{UserID: ptr("u2")}, []int64{}},
		{"user_id", warden.MatchAll(), warden.TaskFilter{UserID: ptr("u2")}, pick(func(t *warden.Task) bool { return t.UserID == "u2" })},
		{"offset and limit", warden.MatchAll(), warden.TaskFilter{Offset: 1, Limit: 2}, ids(all[1:3])},
		{"offset past the end", warden.MatchAll(), warden.TaskFilter{Offset: 10}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ts.FindTasks(ctx, "t1", tt.vis, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			n, err := ts.CountTasks(ctx, "t1", tt.vis, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			f := tt.f
			f.Offset, f.Limit = 0, 0
			full, err := ts.FindTasks(ctx, "t1", tt.vis, f)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(full) {
				t.Errorf("count %d, want %d (the list without offset and limit)", n, len(full))
			}
		})
	}
	_, err := ts.FindTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{Offset: -1})
	wantCode(t, err, warden.EINVALID)
	_, err = ts.FindTasks(ctx, "t1", eq("title", "x"), warden.TaskFilter{})
	if err == nil {
		t.Error("condition on a column outside the allowlist: got no error")
	}
}

func TestSearchMatchesLiterally(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	for _, title := range []string{"100% done", "100 done", "a_b", "axb", `back\slash`, "backslash", "Mixed CASE", "Ärger über Öl"} {
		if _, err := ts.CreateTask(ctx, "t1", "u1", warden.TaskInput{Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		search string
		want   []string
	}{
		{"%", []string{"100% done"}},
		{"0%", []string{"100% done"}},
		{"_", []string{"a_b"}},
		{`\`, []string{`back\slash`}},
		{`k\s`, []string{`back\slash`}},
		{"case", []string{"Mixed CASE"}},
		{"DONE", []string{"100 done", "100% done"}},
		{"über", []string{"Ärger über Öl"}},
		{"ärger", []string{"Ärger über Öl"}},
		{"' OR 1=1 --", nil},
		{"", []string{"100 done", "100% done", "Mixed CASE", "a_b", "axb", "backslash", `back\slash`, "Ärger über Öl"}},
	}
	var ctype string
	if err := e.raw.GetContext(ctx, &ctype, "SHOW lc_ctype"); err != nil {
		t.Fatal(err)
	}
	asciiOnly := ctype == "C" || ctype == "POSIX"
	for _, tt := range tests {
		if asciiOnly && tt.search == "ärger" {
			t.Logf("lc_ctype %s folds ASCII only: skipping search %q", ctype, tt.search)
			continue
		}
		got, err := ts.FindTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{Search: ptr(tt.search)})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, task := range got {
			titles = append(titles, task.Title)
		}
		slices.Sort(titles)
		slices.Sort(tt.want)
		if diff := cmp.Diff(tt.want, titles); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", tt.search, diff)
		}
	}
}

func TestKeysetPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	// Bulk rows share one created_at, so the id must break the ties.
	for batch := range 3 {
		in := make([]warden.TaskInput, 9)
		for i := range in {
			in[i] = warden.TaskInput{Title: "batch " + string(rune('0'+batch))}
		}
		if _, err := ts.CreateTasks(ctx, "t1", "u1", in); err != nil {
			t.Fatal(err)
		}
	}
	full, err := ts.FindTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 27 {
		t.Fatalf("listed %d tasks, want 27", len(full))
	}

	var paged []*warden.Task
	f := warden.TaskFilter{Limit: 5}
	for page := 0; ; page++ {
		got, err := ts.FindTasks(ctx, "t1", warden.MatchAll(), f)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, got...)
		if len(got) < f.Limit {
			break
		}
		last := got[len(got)-1]
		f.Cursor = &warden.TaskCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		if page == 1 {
			// A task created while paging is newer than the cursor: it neither
			// shows up later nor shifts the pages.
			if _, err := ts.CreateTask(ctx, "t1", "u1", warden.TaskInput{Title: "late"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if diff := cmp.Diff(full, paged); diff != "" {
		t.Errorf("keyset pages differ from the full listing (-full +paged):\n%s", diff)
	}

	f = warden.TaskFilter{Cursor: &warden.TaskCursor{CreatedAt: full[10].CreatedAt, ID: full[10].ID}}
	n, err := ts.CountTasks(ctx, "t1", warden.MatchAll(), f)
	if err != nil || n != 16 {
		t.Errorf("count after cursor = %d (%v), want 16", n, err)
	}
}

func TestCreateTasksBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()

	due := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	in := make([]warden.TaskInput, warden.BulkImportMax)
	for i := range in {
		in[i] = warden.TaskInput{Title: "imported " + strconv.Itoa(i), Priority: []string{"low", "medium", "high", ""}[i%4]}
		if i%3 == 0 {
			in[i].Description = ptr("d" + strconv.Itoa(i))
			in[i].DueDate = &due
			in[i].Completed = true
		}
	}
	begin := time.Now()
	got, err := ts.CreateTasks(ctx, "t1", "u1", in)
	elapsed := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CreateTasks of %d rows: %v", len(in), elapsed.Round(time.Microsecond))
	if len(got) != len(in) {
		t.Fatalf("created %d, want %d", len(got), len(in))
	}
	for i, task := range got {
		wantPriority := in[i].Priority
		if wantPriority == "" {
			wantPriority = warden.PriorityMedium
		}
		if task.Title != in[i].Title || task.Priority != wantPriority || task.Completed != in[i].Completed ||
			!cmp.Equal(task.Description, in[i].Description) || !cmp.Equal(task.DueDate, in[i].DueDate) ||
			task.UserID != "u1" || task.TenantID != "t1" {
			t.Fatalf("task %d = %+v, want input %+v", i, task, in[i])
		}
		if i > 0 && task.ID <= got[i-1].ID {
			t.Fatalf("ids not increasing in input order at %d", i)
		}
	}

	bad := make([]warden.TaskInput, 10)
	for i := range bad {
		bad[i] = warden.TaskInput{Title: "never"}
	}
	bad[5].Priority = "urgent"
	_, err = ts.CreateTasks(ctx, "t1", "u1", bad)
	wantCode(t, err, warden.EINVALID)
	if fields := warden.ErrorFields(err); len(fields) != 1 || fields[0].Field != "[5].priority" {
		t.Errorf("fields %+v, want one naming [5].priority", fields)
	}
	bad[5].Priority = ""
	bad[7].Title = strings.Repeat("x", 201)
	_, err = ts.CreateTasks(ctx, "t1", "u1", bad)
	if fields := warden.ErrorFields(err); len(fields) != 1 || fields[0].Field != "[7].title" {
		t.Errorf("fields %+v, want one naming [7].title", fields)
	}
	n, err := ts.CountTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{Search: ptr("never")})
	if err != nil || n != 0 {
		t.Errorf("%d rows of failed bulks were kept (%v), want 0", n, err)
	}

	empty, err := ts.CreateTasks(ctx, "t1", "u1", nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("empty bulk: %v, %v; want no tasks, no error", empty, err)
	}

	// Inside a caller's transaction, a rollback undoes the bulk too.
	err = e.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := ts.WithTx(tx).CreateTasks(ctx, "t1", "u1", []warden.TaskInput{{Title: "in tx"}}); err != nil {
			return err
		}
		return warden.Errorf(warden.ECONFLICT, "changed my mind")
	})
	wantCode(t, err, warden.ECONFLICT)
	n, err = ts.CountTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{Search: ptr("in tx")})
	if err != nil || n != 0 {
		t.Errorf("rolled-back transaction kept %d rows (%v)", n, err)
	}
}

func TestDeleteAndCompleteTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ts := e.tasks()
	mk := func(owner string, done bool) *warden.Task {
		task, err := ts.CreateTask(ctx, "t1", owner, warden.TaskInput{Title: "x", Completed: done})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	mk("u1", true)
	open1 := mk("u1", false)
	mk("u1", false)
	doneOther := mk("u2", true)
	mk("u2", false)
	own := eq("owner_id", "u1")

	n, err := ts.CompleteTasks(ctx, "t1", own)
	if err != nil || n != 2 {
		t.Errorf("completed %d (%v), want 2 (only u1's open ones)", n, err)
	}
	after, err := ts.FindTaskByID(ctx, "t1", open1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Completed || !after.UpdatedAt.After(open1.UpdatedAt) {
		t.Errorf("after CompleteTasks: %+v, want completed with a later updated_at", after)
	}
	if n, err := ts.CompleteTasks(ctx, "t1", own); err != nil || n != 0 {
		t.Errorf("second CompleteTasks changed %d (%v), want 0", n, err)
	}

	n, err = ts.DeleteTasks(ctx, "t1", own, true)
	if err != nil || n != 3 {
		t.Errorf("deleted %d (%v), want 3", n, err)
	}
	if _, err := ts.FindTaskByID(ctx, "t1", doneOther.ID); err != nil {
		t.Errorf("u2's completed task: %v, want it kept", err)
	}
	if n, err := ts.DeleteTasks(ctx, "t1", warden.MatchNone(), false); err != nil || n != 0 {
		t.Errorf("MatchNone deleted %d (%v), want 0", n, err)
	}
	if n, err := ts.DeleteTasks(ctx, "t1", warden.MatchAll(), false); err != nil || n != 2 {
		t.Errorf("MatchAll deleted %d (%v), want the 2 left", n, err)
	}
	if _, err := ts.DeleteTasks(ctx, "t1", eq("title", "x"), false); err == nil {
		t.Error("bad condition: got no error")
	}
}
