package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/warden-authz/warden/repo"
	"github.com/warden-authz/warden/repo/pglocal"
)

// EnvURL names the variable that points the tests at an existing server
// instead of starting one: a URL of a database there that the user may
// connect to, a user allowed to create databases.
const EnvURL = "WARDEN_TEST_DATABASE_URL"

// cleanupTimeout bounds dropping a test database.
const cleanupTimeout = 30 * time.Second

// The harness is process-wide by nature: TestMain and every test of the binary
// share one server and one template, and NewDB(t) has nowhere else to find them.
var (
	mu      sync.Mutex
	current *harness
)

type harness struct {
	once sync.Once
	err  error

	external string   // EnvURL's value, if set
	base     *url.URL // external, parsed
	dir      string   // temporary directory of a local server
	server   *pglocal.Server
	admin    *sql.DB
	template string

	// Timings of the set-up, for the curious (go test -v shows them through Setup).
	startup  time.Duration
	migrated time.Duration
}

// Main runs the package's tests and then stops the server and drops the
// template. The server starts at the first NewDB, so tests that need no
// database pay nothing.
func Main(m *testing.M) {
	h := &harness{external: os.Getenv(EnvURL)}
	mu.Lock()
	current = h
	mu.Unlock()

	code := m.Run()

	if err := h.close(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDB returns the URL of a new database with every migration applied. It is
// dropped when the test ends. Safe for parallel tests.
func NewDB(t testing.TB) string {
	t.Helper()
	h, err := ready()
	if err != nil {
		t.Fatal(err)
	}
	name := "test_" + randomHex(8)
	q := "CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(h.template)
	if _, err := h.admin.ExecContext(t.Context(), q); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := h.drop(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return h.url(name)
}

// Setup reports how long starting the server and migrating the template took,
// starting them if that has not happened yet.
func Setup() (startup, migrate time.Duration, err error) {
	h, err := ready()
	if err != nil {
		return 0, 0, err
	}
	return h.startup, h.migrated, nil
}

func ready() (*harness, error) {
	mu.Lock()
	h := current
	mu.Unlock()
	if h == nil {
		return nil, errors.New("pgtest: no harness; add func TestMain(m *testing.M) { pgtest.Main(m) } to the package")
	}
	h.once.Do(func() { h.err = h.setUp() })
	return h, h.err
}

func (h *harness) setUp() error {
	// The harness outlives any one test, so no test's context fits.
	ctx := context.Background()
	begin := time.Now()
	adminURL := h.external
	if adminURL != "" {
		u, err := url.Parse(adminURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("pgtest: %s must be a postgres:// URL", EnvURL)
		}
		h.base = u
	} else {
		dir, err := os.MkdirTemp("", "warden-pgtest-")
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		h.dir = dir
		h.server, err = pglocal.StartWith(ctx, pglocal.Options{
			Dir:       filepath.Join(dir, "data"),
			Ephemeral: true,
			Logger:    slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return fmt.Errorf("pgtest: start postgres: %w", err)
		}
		adminURL = h.server.URL("postgres")
	}
	c, err := pq.NewConnector(adminURL)
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w", EnvURL, err)
	}
	h.admin = sql.OpenDB(c)
	if err := h.admin.PingContext(ctx); err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	h.startup = time.Since(begin)

	begin = time.Now()
	h.template = "warden_tmpl_" + randomHex(6)
	if _, err := h.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(h.template)); err != nil {
		return fmt.Errorf("pgtest: create template: %w", err)
	}
	db, err := repo.Open(ctx, h.url(h.template))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	err = db.Migrate(ctx)
	// A template must have no connections while it is copied.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	h.migrated = time.Since(begin)
	return nil
}

func (h *harness) url(dbname string) string {
	if h.server != nil {
		return h.server.URL(dbname)
	}
	u := *h.base
	u.Path = "/" + dbname
	u.RawPath = ""
	return u.String()
}

func (h *harness) drop(ctx context.Context, name string) error {
	// FORCE ends connections a test left open.
	if _, err := h.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func (h *harness) close() error {
	var errs []error
	if h.admin != nil {
		if h.server == nil && h.template != "" {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			errs = append(errs, h.drop(ctx, h.template))
			cancel()
		}
		errs = append(errs, h.admin.Close())
	}
	if h.server != nil {
		errs = append(errs, h.server.Stop())
	}
	if h.dir != "" {
		errs = append(errs, os.RemoveAll(h.dir))
	}
	return errors.Join(errs...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
