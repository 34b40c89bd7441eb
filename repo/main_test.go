package repo_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/warden-authz/warden/repo"
	"github.com/warden-authz/warden/repo/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one test's database: the repository under test and a raw
// connection to check what it wrote.
type env struct {
	url   string
	db    *repo.DB
	raw   *sqlx.DB
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := pgtest.NewDB(t)
	db, err := repo.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return &env{url: url, db: db, raw: raw, clock: newClock()}
}

func (e *env) tasks() *repo.TaskStore {
	s := repo.NewTaskStore(e.db)
	s.Now = e.clock.Now
	return s
}

func (e *env) posts() *repo.PostStore {
	s := repo.NewPostStore(e.db)
	s.Now = e.clock.Now
	return s
}

func (e *env) reports() *repo.ReportStore {
	s := repo.NewReportStore(e.db)
	s.Now = e.clock.Now
	return s
}

func (e *env) users() *repo.UserStore {
	s := repo.NewUserStore(e.db)
	s.Now = e.clock.Now
	return s
}

// clock ticks a millisecond at every reading, so rows created one after the
// other have distinct, increasing timestamps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Set moves the clock; the next reading is t plus a millisecond.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func ptr[T any](v T) *T { return &v }
