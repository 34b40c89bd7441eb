package repo_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	warden "github.com/warden-authz/warden"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	us := e.users()
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

	upsert := func(u warden.User) {
		t.Helper()
		if err := us.UpsertUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	find := func(tenant *string) []*warden.User {
		t.Helper()
		got, err := us.FindUsers(ctx, tenant, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	upsert(warden.User{TenantID: "ta", ID: "u1", Email: "a@x", Name: "A", LastSeen: t0})
	// Seen again soon, unchanged: not rewritten.
	upsert(warden.User{TenantID: "ta", ID: "u1", Email: "a@x", Name: "A", LastSeen: t0.Add(30 * time.Second)})
	want := []*warden.User{{TenantID: "ta", ID: "u1", Email: "a@x", Name: "A", FirstSeen: t0, LastSeen: t0}}
	if diff := cmp.Diff(want, find(ptr("ta"))); diff != "" {
		t.Errorf("after a quick second sighting (-want +got):\n%s", diff)
	}
	// Renamed: written at once.
	upsert(warden.User{TenantID: "ta", ID: "u1", Email: "a@x", Name: "Alice", LastSeen: t0.Add(40 * time.Second)})
	want[0].Name, want[0].LastSeen = "Alice", t0.Add(40*time.Second)
	if diff := cmp.Diff(want, find(ptr("ta"))); diff != "" {
		t.Errorf("after a rename (-want +got):\n%s", diff)
	}
	// Seen later: last_seen moves.
	upsert(warden.User{TenantID: "ta", ID: "u1", Email: "a@x", Name: "Alice", LastSeen: t0.Add(5 * time.Minute)})
	want[0].LastSeen = t0.Add(5 * time.Minute)
	if diff := cmp.Diff(want, find(ptr("ta"))); diff != "" {
		t.Errorf("after a later sighting (-want +got):\n%s", diff)
	}
	// A late request with an older time never moves last_seen back.
	upsert(warden.User{TenantID: "ta", ID: "u1", Email: "alice@x", Name: "Alice", LastSeen: t0.Add(time.Minute)})
	want[0].Email = "alice@x"
	if diff := cmp.Diff(want, find(ptr("ta"))); diff != "" {
		t.Errorf("after an out-of-order sighting (-want +got):\n%s", diff)
	}

	// The same subject in another tenant is another row.
	upsert(warden.User{TenantID: "tb", ID: "u1", Email: "a@x", Name: "A"})
	upsert(warden.User{TenantID: "tb", ID: "u2"})
	if got := find(ptr("tb")); len(got) != 2 || got[0].ID != "u1" || got[1].ID != "u2" || got[0].FirstSeen.IsZero() {
		t.Errorf("tb users: %+v", got)
	}
	if got := find(nil); len(got) != 3 || got[0].TenantID != "ta" {
		t.Errorf("all users: %+v, want 3 ordered by tenant", got)
	}
	if got, err := us.FindUsers(ctx, nil, 1, 2); err != nil || len(got) != 1 || got[0].ID != "u2" {
		t.Errorf("all users, offset 2 limit 1: %+v (%v)", got, err)
	}
	if err := us.UpsertUser(ctx, warden.User{ID: "u1"}); err == nil {
		t.Error("user without tenant: got no error")
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	us, ts, ps, rs := e.users(), e.tasks(), e.posts(), e.reports()
	for _, u := range []warden.User{{TenantID: "ta", ID: "u1"}, {TenantID: "ta", ID: "u2"}, {TenantID: "tb", ID: "u1"}} {
		if err := us.UpsertUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := ts.CreateTask(ctx, "ta", "u1", warden.TaskInput{Title: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.CreateTask(ctx, "tc", "u1", warden.TaskInput{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	post, err := ps.CreatePost(ctx, "tb", "u1", warden.PostInput{Title: "p"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rs.CreateReport(ctx, "tb", "u1", post.ID, "r")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.CreateReport(ctx, "tb", "u1", post.ID, "r2"); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.ResolveReport(ctx, "tb", r.ID, warden.ReportDismissed, "m"); err != nil {
		t.Fatal(err)
	}

	got, err := us.Stats(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []warden.TenantStats{
		{TenantID: "ta", Users: 2, Tasks: 3},
		{TenantID: "tb", Users: 1, Posts: 1, Reports: 1},
		{TenantID: "tc", Tasks: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("all tenants (-want +got):\n%s", diff)
	}
	got, err = us.Stats(ctx, ptr("tb"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:2], got); diff != "" {
		t.Errorf("tb (-want +got):\n%s", diff)
	}
	got, err = us.Stats(ctx, ptr("empty"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]warden.TenantStats{{TenantID: "empty"}}, got); diff != "" {
		t.Errorf("tenant with nothing (-want +got):\n%s", diff)
	}
}
