package repo_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	warden "github.com/warden-authz/warden"
)

func TestPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ps := e.posts()

	pubA, err := ps.CreatePost(ctx, "ta", "u1", warden.PostInput{Title: "public A", Body: "hello", IsPublic: true})
	if err != nil {
		t.Fatal(err)
	}
	privA, err := ps.CreatePost(ctx, "ta", "u1", warden.PostInput{Title: "private A"})
	if err != nil {
		t.Fatal(err)
	}
	privA2, err := ps.CreatePost(ctx, "ta", "u2", warden.PostInput{Title: "private A2"})
	if err != nil {
		t.Fatal(err)
	}
	pubB, err := ps.CreatePost(ctx, "tb", "u9", warden.PostInput{Title: "public B", IsPublic: true})
	if err != nil {
		t.Fatal(err)
	}
	privB, err := ps.CreatePost(ctx, "tb", "u1", warden.PostInput{Title: "private B"})
	if err != nil {
		t.Fatal(err)
	}
	if privA.IsPublic || privA.Body != "" {
		t.Errorf("defaults: %+v, want private with empty body", privA)
	}

	// By id alone, any tenant's post is found; the caller applies the policy.
	got, err := ps.FindPostByID(ctx, pubB.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pubB, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ps.FindPostInTenant(ctx, "ta", pubB.ID); warden.ErrorCode(err) != warden.ENOTFOUND {
		t.Errorf("tenant-scoped find of another tenant's post: %v, want ENOTFOUND", err)
	}
	if _, err := ps.FindPostInTenant(ctx, "tb", pubB.ID); err != nil {
		t.Error(err)
	}

	ids := func(posts []*warden.Post) []int64 {
		out := []int64{}
		for _, p := range posts {
			out = append(out, p.ID)
		}
		return out
	}
	anonymous := eq("is_public", true)
	// A subject of ta: public posts plus its own (same id in tb is someone else).
	subject := warden.Condition{Op: "or", Children: []warden.Condition{
		anonymous,
		{Op: "and", Children: []warden.Condition{eq("tenant_id", "ta"), eq("owner_id", "u1")}},
	}}
	tests := []struct {
		name          string
		vis           warden.Condition
		limit, offset int
		want          []int64
	}{
		{"anonymous sees public posts of every tenant", anonymous, 0, 0, []int64{pubB.ID, pubA.ID}},
		{"subject sees its own too", subject, 0, 0, []int64{pubB.ID, privA.ID, pubA.ID}},
		{"limit", subject, 2, 0, []int64{pubB.ID, privA.ID}},
		{"offset", subject, 2, 2, []int64{pubA.ID}},
		{"none", warden.MatchNone(), 0, 0, []int64{}},
	}
	for _, tt := range tests {
		got, err := ps.FindPosts(ctx, tt.vis, tt.limit, tt.offset)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	inA, err := ps.FindTenantPosts(ctx, "ta", warden.MatchAll(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{privA2.ID, privA.ID, pubA.ID}, ids(inA)); diff != "" {
		t.Errorf("FindTenantPosts (-want +got):\n%s", diff)
	}

	upd, err := ps.UpdatePost(ctx, "ta", privA.ID, warden.PostPatch{IsPublic: warden.Optional[bool]{Set: true, Value: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.IsPublic || upd.Title != privA.Title || !upd.UpdatedAt.After(privA.UpdatedAt) {
		t.Errorf("patched: %+v, want public, same title, later updated_at", upd)
	}
	_, err = ps.UpdatePost(ctx, "ta", privA.ID, warden.PostPatch{Title: warden.Optional[string]{Set: true, Null: true}})
	wantCode(t, err, warden.EINVALID)
	_, err = ps.UpdatePost(ctx, "ta", privB.ID, warden.PostPatch{Title: warden.Optional[string]{Set: true, Value: "stolen"}})
	wantCode(t, err, warden.ENOTFOUND)
	_, err = ps.CreatePost(ctx, "ta", "u1", warden.PostInput{Title: ""})
	wantCode(t, err, warden.EINVALID)

	wantCode(t, ps.DeletePost(ctx, "ta", privB.ID), warden.ENOTFOUND)
	if err := ps.DeletePost(ctx, "tb", privB.ID); err != nil {
		t.Fatal(err)
	}
	_, err = ps.FindPostByID(ctx, privB.ID)
	wantCode(t, err, warden.ENOTFOUND)
}
