package repo_test

import (
	"net/url"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	warden "github.com/warden-authz/warden"
	"github.com/warden-authz/warden/repo"
)

// emptyDB creates a database with no schema on the test server.
func emptyDB(t *testing.T, e *env, name string) string {
	t.Helper()
	if _, err := e.raw.ExecContext(t.Context(), "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.raw.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
	})
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := emptyDB(t, e, "migrate_race_"+randomSuffix(e))

	// Replicas starting at once: each applies nothing twice and none fails.
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			db, err := repo.Open(t.Context(), target)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = db.Migrate(t.Context())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}

	raw, err := sqlx.Open("postgres", target)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var versions []string
	if err := raw.SelectContext(t.Context(), &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(versions) == 0 || versions[0] != "0001_init" {
		t.Errorf("versions %v, want 0001_init first", versions)
	}

	db, err := repo.Open(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Errorf("second Migrate: %v, want a no-op", err)
	}
	// A migration edited after it was applied stops start-up.
	if _, err := raw.ExecContext(t.Context(), `UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001_init'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err == nil {
		t.Error("Migrate after an edited migration: got no error")
	}
}

func TestDBPingStatsInTx(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if err := e.db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.db.Stats(); st.MaxOpenConnections != 20 {
		t.Errorf("MaxOpenConnections %d, want 20", st.MaxOpenConnections)
	}

	ts := e.tasks()
	var id int64
	err := e.db.InTx(ctx, func(tx *sqlx.Tx) error {
		task, err := ts.WithTx(tx).CreateTask(ctx, "t1", "u1", warden.TaskInput{Title: "committed"})
		id = task.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.FindTaskByID(ctx, "t1", id); err != nil {
		t.Errorf("committed task: %v", err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("InTx swallowed a panic")
			}
		}()
		_ = e.db.InTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := ts.WithTx(tx).CreateTask(ctx, "t1", "u1", warden.TaskInput{Title: "panicked"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	n, err := ts.CountTasks(ctx, "t1", warden.MatchAll(), warden.TaskFilter{Search: ptr("panicked")})
	if err != nil || n != 0 {
		t.Errorf("a panicking transaction kept %d rows (%v)", n, err)
	}
}

func randomSuffix(e *env) string {
	u, _ := url.Parse(e.url)
	return u.Path[1:]
}
