package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
)

// TestListsAgreeWithSingleDecisions proves, over a generated mix of subjects and
// rows in PostgreSQL, that a list shows exactly the rows the single-resource
// decision lets the subject read: the SQL filter compiled from the policy and
// the decision itself cannot drift apart.
func TestListsAgreeWithSingleDecisions(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(7, 11))
	tenants := []string{"acme", "globex", "initech"}
	roles := []string{"member", "admin", "owner", "moderator", "viewer", "member,moderator"}

	type subj struct {
		name, token string
	}
	var subjects []subj
	var writers []string
	for i := 0; i < 12; i++ {
		sub := fmt.Sprintf("u%d", i)
		tenant, role := tenants[rng.IntN(len(tenants))], roles[rng.IntN(len(roles))]
		claims := map[string]any{"sub": sub, "org_id": tenant, "org_role": role}
		if rng.IntN(4) == 0 {
			claims["permissions"] = []string{"tasks:read", "posts:read", "posts:moderate"}[rng.IntN(3):][:1]
		}
		if i%5 == 4 {
			claims = map[string]any{"sub": sub} // personal tenant
		}
		tok := e.token(claims)
		subjects = append(subjects, subj{fmt.Sprintf("%s(%v)", sub, claims), tok})
		writers = append(writers, e.token(map[string]any{"sub": sub, "org_id": claims["org_id"], "org_role": "owner"}))
		if claims["org_id"] == nil {
			writers[i] = tok
		}
	}
	subjects = append(subjects, subj{"anonymous", ""})

	var taskIDs, postIDs []int64
	for i := 0; i < 60; i++ {
		w := writers[rng.IntN(len(writers))]
		var id struct {
			ID int64 `json:"id"`
		}
		e.must(http.StatusCreated, "POST", "/api/tasks", w, map[string]any{"title": fmt.Sprintf("t%d", i), "completed": rng.IntN(2) == 0}).json(t, &id)
		taskIDs = append(taskIDs, id.ID)
		e.must(http.StatusCreated, "POST", "/api/posts", w, map[string]any{"title": fmt.Sprintf("p%d", i), "is_public": rng.IntN(2) == 0}).json(t, &id)
		postIDs = append(postIDs, id.ID)
	}

	listed := func(path, token string) map[int64]bool {
		var rows []struct {
			ID int64 `json:"id"`
		}
		e.must(http.StatusOK, "GET", path, token, nil).json(t, &rows)
		out := map[int64]bool{}
		for _, r := range rows {
			out[r.ID] = true
		}
		return out
	}
	checked, visible := 0, 0
	for _, s := range subjects {
		var tasks map[int64]bool
		if s.token != "" {
			tasks = listed("/api/tasks?limit=100", s.token)
		}
		posts := listed("/api/posts?limit=100", s.token)
		for _, id := range taskIDs {
			if s.token == "" {
				break
			}
			r := e.do("GET", fmt.Sprintf("/api/tasks/%d", id), s.token, nil)
			if r.status == http.StatusOK {
				visible++
			}
			if (r.status == http.StatusOK) != tasks[id] {
				t.Errorf("%s: task %d: GET %d but listed=%v", s.name, id, r.status, tasks[id])
			}
			checked++
		}
		for _, id := range postIDs {
			r := e.do("GET", fmt.Sprintf("/api/posts/%d", id), s.token, nil)
			if r.status == http.StatusOK {
				visible++
			}
			if (r.status == http.StatusOK) != posts[id] {
				t.Errorf("%s: post %d: GET %d but listed=%v", s.name, id, r.status, posts[id])
			}
			checked++
		}
	}
	if checked < 1000 || visible == 0 || visible == checked {
		t.Fatalf("checked %d pairs, %d visible: want at least 1000 and a mix of both", checked, visible)
	}
	t.Logf("checked %d subject/row pairs, %d visible", checked, visible)
}
