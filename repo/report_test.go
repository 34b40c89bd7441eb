package repo_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	warden "github.com/warden-authz/warden"
)

func TestReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	ps, rs := e.posts(), e.reports()
	post, err := ps.CreatePost(ctx, "ta", "u1", warden.PostInput{Title: "spam?", IsPublic: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ps.CreatePost(ctx, "tb", "u1", warden.PostInput{Title: "elsewhere", IsPublic: true})
	if err != nil {
		t.Fatal(err)
	}

	r1, err := rs.CreateReport(ctx, "ta", "u2", post.ID, "spam")
	if err != nil {
		t.Fatal(err)
	}
	want := &warden.Report{ID: r1.ID, TenantID: "ta", PostID: post.ID, ReporterID: "u2", Reason: "spam",
		Status: warden.ReportOpen, CreatedAt: r1.CreatedAt}
	if diff := cmp.Diff(want, r1); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r2, err := rs.CreateReport(ctx, "ta", "u3", post.ID, "rude")
	if err != nil {
		t.Fatal(err)
	}

	// A report belongs to its post's tenant.
	_, err = rs.CreateReport(ctx, "ta", "u2", other.ID, "x")
	wantCode(t, err, warden.ENOTFOUND)
	if msg := warden.ErrorMessage(err); msg != "post not found" {
		t.Errorf("message %q, want %q", msg, "post not found")
	}
	_, err = rs.CreateReport(ctx, "ta", "u2", 999999, "x")
	wantCode(t, err, warden.ENOTFOUND)
	_, err = rs.CreateReport(ctx, "ta", "u2", post.ID, "")
	wantCode(t, err, warden.EINVALID)

	resolved, err := rs.ResolveReport(ctx, "ta", r1.ID, warden.ReportResolved, "mod1")
	if err != nil {
		t.Fatal(err)
	}
	if resolved.Status != warden.ReportResolved || resolved.ResolvedBy == nil || *resolved.ResolvedBy != "mod1" ||
		resolved.ResolvedAt == nil {
		t.Errorf("resolved: %+v", resolved)
	}
	reopened, err := rs.ResolveReport(ctx, "ta", r1.ID, warden.ReportOpen, "mod1")
	if err != nil {
		t.Fatal(err)
	}
	if reopened.Status != warden.ReportOpen || reopened.ResolvedBy != nil || reopened.ResolvedAt != nil {
		t.Errorf("reopened: %+v, want open with no resolver", reopened)
	}
	if _, err := rs.ResolveReport(ctx, "ta", r2.ID, warden.ReportDismissed, "mod1"); err != nil {
		t.Fatal(err)
	}
	_, err = rs.ResolveReport(ctx, "ta", r1.ID, "deleted", "mod1")
	wantCode(t, err, warden.EINVALID)
	_, err = rs.ResolveReport(ctx, "tb", r1.ID, warden.ReportResolved, "mod1")
	wantCode(t, err, warden.ENOTFOUND)
	_, err = rs.FindReportByID(ctx, "tb", r1.ID)
	wantCode(t, err, warden.ENOTFOUND)

	list := func(vis warden.Condition, status *string) []int64 {
		t.Helper()
		got, err := rs.FindReports(ctx, "ta", vis, status, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, r := range got {
			out = append(out, r.ID)
		}
		return out
	}
	if diff := cmp.Diff([]int64{r2.ID, r1.ID}, list(warden.MatchAll(), nil)); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{r1.ID}, list(warden.MatchAll(), ptr(warden.ReportOpen))); diff != "" {
		t.Errorf("open (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{r2.ID}, list(eq("reporter_id", "u3"), nil)); diff != "" {
		t.Errorf("own (-want +got):\n%s", diff)
	}
	if got, err := rs.FindReports(ctx, "tb", warden.MatchAll(), nil, 0, 0); err != nil || len(got) != 0 {
		t.Errorf("tb sees %d reports of ta (%v)", len(got), err)
	}

	// Deleting the post takes its reports with it.
	if err := ps.DeletePost(ctx, "ta", post.ID); err != nil {
		t.Fatal(err)
	}
	_, err = rs.FindReportByID(ctx, "ta", r1.ID)
	wantCode(t, err, warden.ENOTFOUND)
}
