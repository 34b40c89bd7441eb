package interop_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/warden-authz/warden/internal/testlog"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-authz/warden/repo/pgtest"
)

// Deadlines for each wait; generous because the machine is shared.
const (
	buildTimeout    = 5 * time.Minute
	startTimeout    = 60 * time.Second
	scenarioTimeout = 60 * time.Second
	requestTimeout  = 15 * time.Second
	stopGrace       = 5 * time.Second
)

// audience is what the issuer puts in aud and Warden requires.
const audience = "warden-interop"

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestBetterAuthInterop runs the real Better Auth (interop/issuer.mjs) and the
// real warden binary side by side and proves that Better Auth's tokens are
// accepted, that tenants stay apart, that a forged token is refused, and that a
// revoked membership stops granting the tenant.
func TestBetterAuthInterop(t *testing.T) {
	if _, err := os.Stat(filepath.Join("node_modules", "better-auth", "package.json")); err != nil {
		t.Skip("interop: node_modules missing in interop/; run `npm ci` there first")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("interop: node not found on PATH")
	}

	issuer := startIssuer(t, node, pgtest.NewDB(t))
	warden := startWarden(t, buildWarden(t), issuer, pgtest.NewDB(t))
	sc := runScenario(t, node, issuer)
	alice, bob := sc.Users[0], sc.Users[1]

	t.Run("tokens carry the active organization", func(t *testing.T) {
		for _, u := range sc.Users {
			claims := decodePayload(t, u.Token)
			if claims["sub"] != u.UserID || claims["org_id"] != u.OrgID || claims["org_role"] != "owner" {
				t.Errorf("claims of %s: got sub=%v org_id=%v org_role=%v, want %s %s owner",
					u.Email, claims["sub"], claims["org_id"], claims["org_role"], u.UserID, u.OrgID)
			}
			if claims["iss"] != issuer || claims["aud"] != audience {
				t.Errorf("claims of %s: got iss=%v aud=%v, want %s %s", u.Email, claims["iss"], claims["aud"], issuer, audience)
			}
		}
	})

	status, hdr, body := call(t, http.MethodPost, warden+"/api/tasks", alice.Token,
		`{"title":"Interop task","description":"made by alice","priority":"high"}`)
	if status != http.StatusCreated {
		t.Fatalf("alice creates a task: got %d %s, want 201", status, body)
	}
	created := decodeObject(t, body)
	taskID := jsonInt(t, created["id"])
	taskURL := fmt.Sprintf("%s/api/tasks/%d", warden, taskID)
	if loc := hdr.Get("Location"); !strings.HasSuffix(loc, fmt.Sprintf("/api/tasks/%d", taskID)) {
		t.Errorf("Location: got %q, want it to end in /api/tasks/%d", loc, taskID)
	}
	if created["user_id"] != alice.UserID {
		t.Errorf("user_id: got %v, want %s", created["user_id"], alice.UserID)
	}

	t.Run("owner reads the task", func(t *testing.T) {
		status, _, body := call(t, http.MethodGet, taskURL, alice.Token, "")
		if status != http.StatusOK {
			t.Fatalf("got %d %s, want 200", status, body)
		}
		if diff := cmp.Diff(created, decodeObject(t, body)); diff != "" {
			t.Errorf("GET differs from the created task (-created +got):\n%s", diff)
		}
	})

	t.Run("another tenant cannot see it", func(t *testing.T) {
		status, _, body := call(t, http.MethodGet, taskURL, bob.Token, "")
		if status != http.StatusNotFound {
			t.Errorf("GET: got %d %s, want 404", status, body)
		}
		if ids := listIDs(t, warden, bob.Token); ids[taskID] {
			t.Errorf("list of %s contains task %d of another tenant", bob.Email, taskID)
		}
	})

	t.Run("tampered token is refused", func(t *testing.T) {
		forged := tamper(t, alice.Token, func(claims map[string]any) { claims["org_id"] = bob.OrgID })
		status, hdr, body := call(t, http.MethodGet, warden+"/api/tasks", forged, "")
		if status != http.StatusUnauthorized {
			t.Fatalf("got %d %s, want 401", status, body)
		}
		if got := hdr.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") || !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf(`WWW-Authenticate: got %q, want Bearer error="invalid_token"`, got)
		}
	})

	var bobsTaskID int64
	t.Run("member of another organization", func(t *testing.T) {
		claims := decodePayload(t, sc.JoinedToken)
		if claims["org_id"] != alice.OrgID || claims["org_role"] != "member" {
			t.Fatalf("joined token: got org_id=%v org_role=%v, want %s member", claims["org_id"], claims["org_role"], alice.OrgID)
		}
		// A plain member sees only its own tasks, even inside the organization.
		if status, _, body := call(t, http.MethodGet, taskURL, sc.JoinedToken, ""); status != http.StatusNotFound {
			t.Errorf("member reads the owner's task: got %d %s, want 404", status, body)
		}
		status, _, body := call(t, http.MethodPost, warden+"/api/tasks", sc.JoinedToken, `{"title":"Bob's task in Alice's team"}`)
		if status != http.StatusCreated {
			t.Fatalf("member creates a task: got %d %s, want 201", status, body)
		}
		bobsTaskID = jsonInt(t, decodeObject(t, body)["id"])
		if ids := listIDs(t, warden, alice.Token); !ids[bobsTaskID] {
			t.Errorf("owner's list lacks task %d a member created in the organization", bobsTaskID)
		}
	})

	t.Run("removed member falls back to the personal tenant", func(t *testing.T) {
		claims := decodePayload(t, sc.RemovedToken)
		for _, c := range []string{"org_id", "org_role"} {
			if v, ok := claims[c]; ok {
				t.Errorf("token after removal carries %s=%v", c, v)
			}
		}
		status, _, body := call(t, http.MethodGet, warden+"/api/me", sc.RemovedToken, "")
		if status != http.StatusOK {
			t.Fatalf("GET /api/me: got %d %s, want 200", status, body)
		}
		if got, want := decodeObject(t, body)["tenant"], "user:"+bob.UserID; got != want {
			t.Errorf("tenant: got %v, want %s", got, want)
		}
		if bobsTaskID != 0 {
			url := fmt.Sprintf("%s/api/tasks/%d", warden, bobsTaskID)
			if status, _, body := call(t, http.MethodGet, url, sc.RemovedToken, ""); status != http.StatusNotFound {
				t.Errorf("removed member reads the task it made in the organization: got %d %s, want 404", status, body)
			}
		}
	})

	t.Run("example client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join("..", "examples", "client.mjs"))
		cmd.Env = append(cleanEnv(), "AUTH_URL="+issuer, "WARDEN_URL="+warden)
		out, err := cmd.CombinedOutput()
		t.Logf("examples/client.mjs:\n%s", out)
		if err != nil {
			t.Fatalf("examples/client.mjs: %v", err)
		}
	})
}

type scenario struct {
	Users []struct {
		Email  string `json:"email"`
		UserID string `json:"user_id"`
		OrgID  string `json:"org_id"`
		Token  string `json:"token"`
	} `json:"users"`
	JoinedToken  string `json:"joined_token"`
	RemovedToken string `json:"removed_token"`
}

// runScenario drives Better Auth through scenario.mjs, which reuses the
// example client's steps, and returns the tokens it obtained.
func runScenario(t *testing.T, node, issuer string) scenario {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "scenario.mjs")
	cmd.Env = append(cleanEnv(), "AUTH_URL="+issuer)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scenario.mjs: %v\n%s", err, stderr.Bytes())
	}
	var sc scenario
	if err := json.Unmarshal(out, &sc); err != nil {
		t.Fatalf("scenario.mjs output: %v\n%s", err, out)
	}
	if len(sc.Users) != 2 || sc.JoinedToken == "" || sc.RemovedToken == "" {
		t.Fatalf("scenario.mjs output incomplete: %s", out)
	}
	return sc
}

// startIssuer runs issuer.mjs on a free loopback port and returns its base URL
// once it printed "ready".
func startIssuer(t *testing.T, node, databaseURL string) string {
	t.Helper()
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := command(t, node, "issuer.mjs")
	cmd.Env = append(cleanEnv(),
		"DATABASE_URL="+databaseURL,
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"BETTER_AUTH_URL="+base,
		"BETTER_AUTH_SECRET=interop-test-secret-0123456789abcdef",
		"JWT_ISSUER="+base,
		"JWT_AUDIENCE="+audience,
	)
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	cmd.Stdout = &lineWatcher{w: logs, prefix: "ready ", found: ready}
	cmd.Stderr = logs
	exited := start(t, cmd, "issuer", logs)
	select {
	case got := <-ready:
		if got != base {
			t.Fatalf("issuer: ready at %q, want %q", got, base)
		}
	case <-exited:
		t.Fatalf("issuer exited before it was ready:\n%s", logs)
	case <-time.After(startTimeout):
		t.Fatalf("issuer not ready after %v:\n%s", startTimeout, logs)
	}
	return base
}

// buildWarden builds the binary under test, as a user would.
func buildWarden(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "warden")
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/warden")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/warden: %v\n%s", err, out)
	}
	return bin
}

// startWarden runs `warden serve` against the issuer's JWKS and returns its
// base URL once /readyz answers 200.
func startWarden(t *testing.T, bin, issuer, databaseURL string) string {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := command(t, bin, "serve")
	cmd.Env = append(cleanEnv(),
		"WARDEN_DATABASE_URL="+databaseURL,
		"WARDEN_HTTP_ADDR="+addr,
		"WARDEN_JWKS_URL="+issuer+"/api/auth/jwks",
		"WARDEN_JWT_ISSUER="+issuer,
		"WARDEN_JWT_AUDIENCE="+audience,
		"WARDEN_DECISION_LOG=off",
	)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	exited := start(t, cmd, "warden", logs)

	base := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("warden exited before it was ready:\n%s", logs)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("warden not ready after %v (last: %v):\n%s", startTimeout, err, logs)
		}
	}
}

// command prepares a child process that is asked to stop (SIGTERM, then
// SIGKILL after stopGrace) when the test ends.
func command(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace
	return cmd
}

// start starts cmd and returns a channel closed when it exits. The process is
// stopped and reaped in t.Cleanup; its output is logged if the test failed.
func start(t *testing.T, cmd *exec.Cmd, name string, logs *syncBuffer) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		// t.Context is already cancelled here, so Cancel has sent SIGTERM.
		select {
		case <-exited:
		case <-time.After(2 * stopGrace):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s (%v) output:\n%s", name, waitErr, logs)
		}
	})
	return exited
}

// call makes one request to Warden and returns status, headers and body.
func call(t *testing.T, method, url, token, body string) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, b
}

// listIDs returns the ids in GET /api/tasks for token.
func listIDs(t *testing.T, warden, token string) map[int64]bool {
	t.Helper()
	status, _, body := call(t, http.MethodGet, warden+"/api/tasks", token, "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/tasks: got %d %s, want 200", status, body)
	}
	var tasks []map[string]any
	if err := json.Unmarshal(body, &tasks); err != nil {
		t.Fatalf("GET /api/tasks: %v: %s", err, body)
	}
	ids := make(map[int64]bool, len(tasks))
	for _, task := range tasks {
		ids[jsonInt(t, task["id"])] = true
	}
	return ids
}

func decodeObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok || f <= 0 || f != float64(int64(f)) {
		t.Fatalf("id: got %v (%T), want a positive integer", v, v)
	}
	return int64(f)
}

// decodePayload returns a token's claims without verifying it.
func decodePayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return decodeObject(t, b)
}

// tamper rewrites a token's payload and keeps its original signature.
func tamper(t *testing.T, token string, edit func(map[string]any)) string {
	t.Helper()
	claims := decodePayload(t, token)
	edit(claims)
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cleanEnv is the test's environment without settings that would change what
// the children do behind the test's back.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "WARDEN_") || strings.HasPrefix(name, "BETTER_AUTH_") || strings.HasPrefix(name, "JWT_") {
			continue
		}
		switch name {
		case "DATABASE_URL", "HOST", "PORT", "AUTH_URL", "EMAIL", "PASSWORD", "NAME", "TRUSTED_ORIGINS", "NODE_OPTIONS":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// lineWatcher passes output through and sends the rest of the first line
// starting with prefix.
type lineWatcher struct {
	w       io.Writer
	prefix  string
	found   chan<- string
	partial []byte
	done    bool
}

func (lw *lineWatcher) Write(p []byte) (int, error) {
	if !lw.done {
		lw.partial = append(lw.partial, p...)
		for {
			i := bytes.IndexByte(lw.partial, '\n')
			if i < 0 {
				break
			}
			line := string(lw.partial[:i])
			lw.partial = lw.partial[i+1:]
			if rest, ok := strings.CutPrefix(line, lw.prefix); ok {
				lw.found <- rest
				lw.done, lw.partial = true, nil
				break
			}
		}
	}
	return lw.w.Write(p)
}

// syncBuffer collects output written from several goroutines.
type syncBuffer = testlog.Buffer
