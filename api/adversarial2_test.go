package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-authz/warden"
	"github.com/warden-authz/warden/policies"
)

// send is do without t.Fatal, for goroutines: a transport error is reported
// as status 0. Responses are still checked against the OpenAPI document.
func (e *env) send(method, path, token string, body any) response {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Error(err)
			return response{}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Error(err)
		return response{}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Errorf("%s %s: read body: %v", method, path, err)
		return response{}
	}
	checkResponse(e.t, method, path, resp.StatusCode, resp.Header, raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// TestAdversarial2ConcurrentWritesSameTask races PATCH, PUT and DELETE on one
// task: every answer is a success, a 404 (the delete won) or nothing worse,
// and the row left is exactly one of the writes.
func TestAdversarial2ConcurrentWritesSameTask(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	for round := range 3 {
		tk := e.createTask(alice, map[string]any{"title": "start", "priority": "low"})
		path := fmt.Sprintf("/api/tasks/%d", tk.ID)
		written := []string{"start"}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 16 {
			title := fmt.Sprintf("w%d-%d", round, i)
			wg.Go(func() {
				var r response
				switch {
				case round == 2 && i == 8:
					r = e.send("DELETE", path, alice, nil)
					if r.status != http.StatusNoContent && r.status != http.StatusNotFound {
						t.Errorf("DELETE: %d %s", r.status, r.body)
					}
					return
				case i%2 == 0:
					r = e.send("PATCH", path, alice, map[string]any{"title": title, "completed": true})
				default:
					r = e.send("PUT", path, alice, map[string]any{"title": title, "priority": "high"})
				}
				switch r.status {
				case http.StatusOK:
					mu.Lock()
					written = append(written, title)
					mu.Unlock()
				case http.StatusNotFound:
				default:
					t.Errorf("%s title %s: %d %s", path, title, r.status, r.body)
				}
			})
		}
		wg.Wait()
		r := e.do("GET", path, alice, nil)
		if round == 2 {
			if r.status != http.StatusNotFound {
				t.Errorf("after the race with a DELETE: GET = %d, want 404", r.status)
			}
			continue
		}
		var got taskJSON
		e.must(http.StatusOK, "GET", path, alice, nil).json(t, &got)
		if !slices.Contains(written, got.Title) {
			t.Errorf("final title %q is none of the successful writes", got.Title)
		}
		// A PUT sets completed to its default; a PATCH sets it true and keeps
		// the PUT's priority: the row must be consistent with its last writer.
		if strings.HasPrefix(got.Title, "w") {
			var n int
			fmt.Sscanf(got.Title[strings.IndexByte(got.Title, '-')+1:], "%d", &n)
			if n%2 == 1 && (got.Completed || got.Priority != "high") {
				t.Errorf("last writer was a PUT but row is %+v", got)
			}
			if n%2 == 0 && !got.Completed {
				t.Errorf("last writer was a PATCH but row is %+v", got)
			}
		}
	}
}

// TestAdversarial2ConcurrentBulkImports runs two 500-row imports and bulk
// creates at once: all succeed, every row lands once.
func TestAdversarial2ConcurrentBulkImports(t *testing.T) {
	e := newEnv(t)
	owner := e.member("olga", "acme", "owner")
	batch := func(prefix string, n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"title": fmt.Sprintf("%s-%d", prefix, i)}
		}
		return out
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			r := e.send("POST", "/api/tasks/bulk-import", owner, batch(fmt.Sprintf("imp%d", i), 500))
			if r.status != http.StatusCreated {
				t.Errorf("bulk-import %d: %d %s", i, r.status, r.body)
			}
		})
		wg.Go(func() {
			r := e.send("POST", "/api/tasks/bulk", owner, batch(fmt.Sprintf("bulk%d", i), 100))
			if r.status != http.StatusCreated {
				t.Errorf("bulk %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	var page struct {
		Total int `json:"total"`
	}
	e.must(http.StatusOK, "GET", "/api/tasks/paginated", owner, nil).json(t, &page)
	if page.Total != 1200 {
		t.Errorf("total after two imports and two bulks = %d, want 1200", page.Total)
	}
}

// TestAdversarial2BulkCompleteRacesDeletes completes and deletes the same
// tasks at once: no 5xx, the counts add up, nothing of another subject moves.
func TestAdversarial2BulkCompleteRacesDeletes(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	items := make([]map[string]any, 60)
	for i := range items {
		items[i] = map[string]any{"title": fmt.Sprintf("t%d", i)}
	}
	var created []taskJSON
	e.must(http.StatusCreated, "POST", "/api/tasks/bulk", alice, items[:60]).json(t, &created)
	bobs := e.createTask(bob, map[string]any{"title": "bob's open task"})

	var wg sync.WaitGroup
	var mu sync.Mutex
	completed, bulkDeleted, deleted := 0, 0, 0
	for range 4 {
		wg.Go(func() {
			r := e.send("PATCH", "/api/tasks/bulk/complete", alice, nil)
			var out struct{ Completed int }
			if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
				t.Errorf("bulk complete: %d %s", r.status, r.body)
				return
			}
			mu.Lock()
			completed += out.Completed
			mu.Unlock()
		})
		wg.Go(func() {
			r := e.send("DELETE", "/api/tasks/bulk", alice, nil)
			var out struct{ Deleted int }
			if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
				t.Errorf("bulk delete: %d %s", r.status, r.body)
				return
			}
			mu.Lock()
			bulkDeleted += out.Deleted
			mu.Unlock()
		})
	}
	for _, tk := range created[:20] {
		wg.Go(func() {
			r := e.send("DELETE", fmt.Sprintf("/api/tasks/%d", tk.ID), alice, nil)
			switch r.status {
			case http.StatusNoContent:
				mu.Lock()
				deleted++
				mu.Unlock()
			case http.StatusNotFound:
			default:
				t.Errorf("DELETE %d: %d %s", tk.ID, r.status, r.body)
			}
		})
	}
	wg.Wait()
	var left []taskJSON
	e.must(http.StatusOK, "GET", "/api/tasks", alice, nil).json(t, &left)
	if bulkDeleted+deleted+len(left) != 60 {
		t.Errorf("bulk-deleted %d + deleted %d + left %d != 60 created", bulkDeleted, deleted, len(left))
	}
	if completed > 60 {
		t.Errorf("completed %d tasks of 60", completed)
	}
	var b taskJSON
	e.must(http.StatusOK, "GET", fmt.Sprintf("/api/tasks/%d", bobs.ID), bob, nil).json(t, &b)
	if b.Completed {
		t.Error("alice's bulk complete completed bob's task")
	}
}

// TestAdversarial2FirstRequestsOfNewSubjectsRace sends many parallel first
// requests per new subject: the users-seen upsert races must give no 5xx and
// exactly one row per subject.
func TestAdversarial2FirstRequestsOfNewSubjectsRace(t *testing.T) {
	e := newEnv(t)
	const subjects, perSubject = 40, 5
	var wg sync.WaitGroup
	// Bounded parallelism: unbounded, the 100ms policy timeout fires (see
	// TestAdversarial2PolicyTimeoutUnderLoadDeniesAndFails).
	sem := make(chan struct{}, 10)
	for i := range subjects {
		tok := e.member(fmt.Sprintf("new%02d", i), "acme", "member")
		for j := range perSubject {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				path := []string{"/api/me", "/api/tasks", "/api/me/permissions", "/api/posts", "/api/tasks/paginated"}[j]
				if r := e.send("GET", path, tok, nil); r.status != http.StatusOK {
					t.Errorf("GET %s: %d %s", path, r.status, r.body)
				}
			})
		}
	}
	wg.Wait()
	var users []struct {
		ID     string `json:"id"`
		Tenant string `json:"tenant"`
	}
	e.must(http.StatusOK, "GET", "/api/admin/users?limit=100", e.member("ada", "acme", "admin"), nil).json(t, &users)
	seen := map[string]int{}
	for _, u := range users {
		seen[u.Tenant+"/"+u.ID]++
	}
	for i := range subjects {
		if k := fmt.Sprintf("acme/new%02d", i); seen[k] != 1 {
			t.Errorf("%s listed %d times, want 1", k, seen[k])
		}
	}
}

// TestAdversarial2ManySubjectShapesKeepAnswersRight sends many distinct
// claim shapes through the list route (each one a filter cache entry): every
// answer must still follow that shape's permissions.
func TestAdversarial2ManySubjectShapesKeepAnswersRight(t *testing.T) {
	e := newEnv(t)
	e.createTask(e.member("alice", "acme", "member"), map[string]any{"title": "alice's"})
	n := 300
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pool := []string{"tasks:read", "tasks:update", "posts:read", "reports:read", "users:read", "x:y", "tasks:bulk", "posts:create"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		var perms []string
		for _, p := range pool {
			if rng.IntN(2) == 0 {
				perms = append(perms, p)
			}
		}
		perms = append(perms, fmt.Sprintf("junk:%d", i)) // a distinct shape each time
		roles := []string{"member", "member,moderator", "moderator", "viewer"}[rng.IntN(4)]
		tok := e.token(map[string]any{"sub": fmt.Sprintf("s%d", i), "org_id": "acme", "org_role": roles, "permissions": perms})
		wantAll := slices.Contains(perms, "tasks:read")
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := e.send("GET", "/api/tasks", tok, nil)
			if r.status != http.StatusOK {
				t.Errorf("shape %d (%s %v): %d %s", i, roles, perms, r.status, r.body)
				return
			}
			var list []taskJSON
			if err := json.Unmarshal(r.body, &list); err != nil {
				t.Error(err)
				return
			}
			if got := len(list) == 1; got != wantAll {
				t.Errorf("shape %d (%s %v) sees %d tasks, want all=%v", i, roles, perms, len(list), wantAll)
			}
		})
	}
	wg.Wait()
}

// TestAdversarial2FilterCacheEvictionKeepsAnswersRight drives a tiny filter
// cache through many shapes and back: an evicted and recomputed shape gives
// the same condition as before.
func TestAdversarial2FilterCacheEvictionKeepsAnswersRight(t *testing.T) {
	eng, err := policies.New(t.Context(), policies.Options{FilterCacheSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	subj := func(i int) *warden.Subject {
		perms := []string{fmt.Sprintf("junk:%d", i)}
		if i%3 == 0 {
			perms = append(perms, "tasks:read")
		}
		return &warden.Subject{ID: fmt.Sprintf("u%d", i), Tenant: "acme", TenantRoles: []string{"member"}, Permissions: perms}
	}
	first := map[int]string{}
	for pass := range 2 {
		for i := range 50 {
			c, err := eng.Filter(t.Context(), subj(i), "tasks:read")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(c)
			s := string(b)
			if pass == 0 {
				first[i] = s
			} else if first[i] != s {
				t.Errorf("shape %d: %s after eviction, %s before", i, s, first[i])
			}
			if !strings.Contains(s, `"acme"`) {
				t.Errorf("shape %d: condition %s does not pin the tenant", i, s)
			}
			if i%3 != 0 && !strings.Contains(s, fmt.Sprintf(`"u%d"`, i)) {
				t.Errorf("shape %d without tasks:read: condition %s does not pin the owner", i, s)
			}
		}
	}
}

// TestAdversarial2MeCanHundredLoads asks 100 questions that each load a row:
// bounded cost, and answers that match single requests.
func TestAdversarial2MeCanHundredLoads(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	mine := e.createTask(alice, map[string]any{"title": "mine"})
	theirs := e.createTask(bob, map[string]any{"title": "theirs"})
	qs := make([]map[string]any, 100)
	for i := range qs {
		id := []int64{mine.ID, theirs.ID, 999999}[i%3]
		qs[i] = map[string]any{"action": "tasks:update", "resource": map[string]any{"type": "task", "id": id}}
	}
	start := time.Now()
	var answers []struct {
		Allowed bool   `json:"allowed"`
		Reason  string `json:"reason"`
	}
	e.must(http.StatusOK, "POST", "/api/me/can", alice, qs).json(t, &answers)
	elapsed := time.Since(start)
	t.Logf("100 loading questions: %v", elapsed)
	if elapsed > 2*time.Second {
		t.Errorf("100 questions took %v", elapsed)
	}
	for i, a := range answers {
		want := i%3 == 0
		if a.Allowed != want {
			t.Errorf("answer %d = %+v, want allowed=%v", i, a, want)
		}
		if i%3 != 0 && a.Reason != "task not found" {
			t.Errorf("answer %d reason %q: theirs and missing must read alike", i, a.Reason)
		}
	}
}

// TestAdversarial2PathologicalSearch sends LIKE metacharacters and long
// trigram-unfriendly patterns: literal matching, 200, fast.
func TestAdversarial2PathologicalSearch(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	for _, title := range []string{"100% done", "a_b", `back\slash`, strings.Repeat("%", 50), "plain"} {
		e.createTask(alice, map[string]any{"title": title})
	}
	for _, tc := range []struct {
		search string
		want   int
	}{
		{"%", 2}, {"_", 1}, {`\`, 1}, {strings.Repeat("%", 50), 1}, {strings.Repeat("%", 51), 0},
		{strings.Repeat("_", 200), 0}, {strings.Repeat(`\%_`, 66), 0}, {strings.Repeat("a%", 100), 0},
		{"%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%", 0},
	} {
		start := time.Now()
		var list []taskJSON
		e.must(http.StatusOK, "GET", "/api/tasks?search="+urlEscape(tc.search), alice, nil).json(t, &list)
		if len(list) != tc.want {
			t.Errorf("search %q: %d rows, want %d", tc.search, len(list), tc.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("search %q took %v", tc.search, d)
		}
	}
	// One character over the 200 cap is a 422, not a truncated search.
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks?search="+strings.Repeat("%25", 201), alice, nil)
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// TestAdversarial2HugeOffsets: offsets far past the data answer empty, fast.
func TestAdversarial2HugeOffsets(t *testing.T) {
	e := newEnv(t)
	alice := e.member("alice", "acme", "member")
	e.createTask(alice, map[string]any{"title": "one"})
	for _, path := range []string{
		"/api/tasks?skip=1000000000000",
		"/api/tasks?skip=9223372036854775807",
		"/api/posts?skip=9223372036854775807",
		"/api/tasks/paginated?page=92233720368547758",
		"/api/tasks/paginated?page=92233720368547758&page_size=100",
	} {
		start := time.Now()
		r := e.must(http.StatusOK, "GET", path, alice, nil)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v", path, d)
		}
		if !bytes.Contains(r.body, []byte("[]")) {
			t.Errorf("%s: %s, want no items", path, r.body)
		}
	}
	admin := e.member("ada", "acme", "admin")
	e.must(http.StatusOK, "GET", "/api/admin/users?skip=9223372036854775807", admin, nil)
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks?skip=9223372036854775808", alice, nil)
	e.must(http.StatusUnprocessableEntity, "GET", "/api/tasks/paginated?page=92233720368547759", alice, nil)
}

// writeFileAtomic replaces path the way careful editors and config managers
// do: write a sibling, then rename over.
func writeFileAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func rolesFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "warden", "roles", "data.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("roles data: %v", err)
	}
	return p
}

// waitFor polls cond for up to 3s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAdversarial2PolicyReloadUnderLoad flips the role data between two
// versions while requests run: every answer is one that one of the two
// policies gives, never a 5xx, never an allow neither gives.
func TestAdversarial2PolicyReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("rewrites the policy for a few seconds")
	}
	dir := copyBundle(t)
	path := rolesFile(t, dir)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	editRoles(t, dir, func(p map[string][]string) { p["member"] = append(p["member"], "tasks:read") })
	widened, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{policyDir: dir})
	alice := e.member("alice", "acme", "member")
	bob := e.member("bob", "acme", "member")
	tk := e.createTask(alice, map[string]any{"title": "alice's"})
	mallory := e.member("mallory", "globex", "owner")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			if i%2 == 0 {
				writeFileAtomic(t, path, orig)
			} else {
				writeFileAtomic(t, path, widened)
			}
			time.Sleep(time.Duration(150+rand.IntN(200)) * time.Millisecond)
		}
	})
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				// Either policy: bob may or may not read alice's task.
				r := e.send("GET", fmt.Sprintf("/api/tasks/%d", tk.ID), bob, nil)
				if r.status != http.StatusOK && r.status != http.StatusNotFound {
					t.Errorf("bob GET: %d %s", r.status, r.body)
				}
				// Neither policy lets bob change it or anyone of globex see it.
				if r := e.send("PATCH", fmt.Sprintf("/api/tasks/%d", tk.ID), bob, map[string]any{"title": "x"}); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
					t.Errorf("bob PATCH: %d %s", r.status, r.body)
				}
				if r := e.send("GET", "/api/tasks", mallory, nil); r.status != http.StatusOK || string(r.body) != "[]" {
					t.Errorf("mallory list: %d %s", r.status, r.body)
				}
				r = e.send("GET", "/api/tasks", bob, nil)
				if r.status != http.StatusOK || (string(r.body) != "[]" && !bytes.Contains(r.body, []byte("alice's"))) {
					t.Errorf("bob list: %d %s", r.status, r.body)
				}
			}
		})
	}
	wg.Wait()
}

// TestAdversarial2PolicyReloadRefusesBrokenRego: a syntax error in a reload
// keeps the last good policy serving.
func TestAdversarial2PolicyReloadRefusesBrokenRego(t *testing.T) {
	dir := copyBundle(t)
	e := newEnv(t, envOptions{policyDir: dir})
	bob := e.member("bob", "acme", "member")
	e.must(http.StatusCreated, "POST", "/api/tasks", bob, map[string]any{"title": "x"})

	broken := filepath.Join(dir, "warden", "authz", "tasks.rego")
	orig, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, broken, append(append([]byte{}, orig...), []byte("\nallow if {{{ \n")...))
	editRoles(t, dir, func(p map[string][]string) { p["member"] = nil })
	time.Sleep(600 * time.Millisecond) // past the reload debounce
	e.must(http.StatusCreated, "POST", "/api/tasks", bob, map[string]any{"title": "still allowed"})

	// Fixing the syntax lets the (now member-less) role data in.
	writeFileAtomic(t, broken, orig)
	waitFor(t, "the fixed policy to load", func() bool {
		return e.do("POST", "/api/tasks", bob, map[string]any{"title": "y"}).status == http.StatusForbidden
	})
}

// TestAdversarial2PolicyReloadWithoutRoleData deletes data.json: the policy
// must not start allowing anything, and claims must still grant nothing
// outside the tenant. (Refusing the reload is also acceptable; a deny is.)
func TestAdversarial2PolicyReloadWithoutRoleData(t *testing.T) {
	dir := copyBundle(t)
	e := newEnv(t, envOptions{policyDir: dir})
	owner := e.member("olga", "acme", "owner")
	bob := e.member("bob", "acme", "member")
	tk := e.createTask(owner, map[string]any{"title": "olga's"})
	if err := os.Remove(rolesFile(t, dir)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	for _, tc := range []struct {
		method, path, token string
		body                any
		ok                  []int
	}{
		{"GET", fmt.Sprintf("/api/tasks/%d", tk.ID), bob, nil, []int{404}},
		{"GET", fmt.Sprintf("/api/tasks/%d", tk.ID), owner, nil, []int{200}}, // owner of the row
		{"DELETE", fmt.Sprintf("/api/tasks/%d", tk.ID), bob, nil, []int{404}},
		{"GET", "/api/admin/users", bob, nil, []int{403}},
		{"POST", "/api/tasks/bulk-import", bob, []map[string]any{{"title": "x"}}, []int{403}},
		{"GET", "/api/tasks", bob, nil, []int{200}},
		// Refusing the reload keeps the owner's bulk permission; accepting it
		// drops it. Either is safe; which one happened is logged below.
		{"POST", "/api/tasks/bulk-import", owner, []map[string]any{{"title": "x"}}, []int{201, 403}},
	} {
		r := e.do(tc.method, tc.path, tc.token, tc.body)
		if !slices.Contains(tc.ok, r.status) {
			t.Errorf("%s %s after data.json was deleted: %d %s, want one of %v", tc.method, tc.path, r.status, r.body, tc.ok)
		}
		if tc.method == "GET" && tc.path == "/api/tasks" && string(r.body) != "[]" {
			t.Errorf("bob's list after data.json was deleted: %s", r.body)
		}
		if tc.token == owner && tc.method == "POST" {
			t.Logf("owner bulk-import without role data: %d", r.status)
		}
	}
}

// TestAdversarial2PolicyTimeoutUnderLoadDeniesAndFails: a burst of ordinary
// parallel requests (two cores, PostgreSQL beside) pushes policy evaluation
// past its 100ms wall-clock timeout. Legitimate members then get 403 "policy
// could not decide" (a permanent-looking answer for a transient condition) and
// GET /api/me/permissions answers 500. Expected: every request answers 200;
// failing that, an overloaded engine should answer 503 with Retry-After.
func TestAdversarial2PolicyTimeoutUnderLoadDeniesAndFails(t *testing.T) {
	if testing.Short() {
		t.Skip("load burst")
	}
	e := newEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := map[string]int{}
	for i := range 60 {
		tok := e.member(fmt.Sprintf("burst%02d", i), "acme", "member")
		for _, path := range []string{"/api/me/permissions", "/api/tasks", "/api/tasks/paginated", "/api/posts"} {
			wg.Go(func() {
				r := e.send("GET", path, tok, nil)
				if r.status != http.StatusOK {
					mu.Lock()
					bad[fmt.Sprintf("%s -> %d %s", path, r.status, problemDetail(r.body))]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for k, n := range bad {
		t.Errorf("%dx %s", n, k)
	}
}

func problemDetail(body []byte) string {
	var p struct{ Detail string }
	_ = json.Unmarshal(body, &p)
	return p.Detail
}
