package pgtest_test

import (
	"context"
	"database/sql"
	"sort"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/warden-authz/warden/repo/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	c, err := pq.NewConnector(url)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNewDBIsFreshAndMigrated(t *testing.T) {
	startup, migrate, err := pgtest.Setup()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server start-up %v, template migration %v", startup.Round(time.Millisecond), migrate.Round(time.Millisecond))

	var durations []time.Duration
	var names []string
	for range 10 {
		begin := time.Now()
		url := pgtest.NewDB(t)
		durations = append(durations, time.Since(begin))
		db := open(t, url)
		var name string
		var tables int
		err := db.QueryRowContext(context.Background(), `SELECT current_database(),
			(SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'
			   AND table_name IN ('tasks', 'posts', 'reports', 'users', 'schema_migrations'))`).Scan(&name, &tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 5 {
			t.Errorf("%s has %d of the 5 tables, want all", name, tables)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("NewDB returned database %s twice", names[i])
		}
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	t.Logf("NewDB: min %v, median %v, max %v", durations[0].Round(time.Microsecond),
		durations[len(durations)/2].Round(time.Microsecond), durations[len(durations)-1].Round(time.Microsecond))
}

func TestNewDBIsolation(t *testing.T) {
	t.Parallel()
	a := open(t, pgtest.NewDB(t))
	b := open(t, pgtest.NewDB(t))
	ctx := context.Background()
	if _, err := a.ExecContext(ctx, `INSERT INTO users (tenant_id, id, first_seen, last_seen) VALUES ('t', 'u', now(), now())`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second database sees %d users, want 0", n)
	}
}
