package pglocal_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"github.com/warden-authz/warden/repo/pglocal"
)

func query(t *testing.T, url, q string) string {
	t.Helper()
	c, err := pq.NewConnector(url)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var s string
	if err := db.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func TestEphemeral(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "pg")
	s, err := pglocal.StartWith(ctx, pglocal.Options{Dir: dir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })

	if got := query(t, s.URL("postgres"), "SHOW fsync"); got != "off" {
		t.Errorf("fsync = %s, want off", got)
	}
	if got := query(t, s.URL("postgres"), "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %s, want 127.0.0.1", got)
	}
	if got := query(t, s.URL("postgres"), "SELECT current_user"); got != pglocal.Superuser {
		t.Errorf("current_user = %s, want %s", got, pglocal.Superuser)
	}
	if err := s.CreateDatabase(ctx, "we-ird"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDatabase(ctx, "we-ird"); err != nil {
		t.Fatalf("second CreateDatabase: %v, want nil (idempotent)", err)
	}
	if got := query(t, s.URL("we-ird"), "SELECT current_database()"); got != "we-ird" {
		t.Errorf("current_database = %s, want we-ird", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid still there after Stop: %v", err)
	}
}

func TestDaemonReuseAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "pg")
	s1, err := pglocal.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s1.Stop() })
	if s1.Reused() {
		t.Error("first Start: Reused() = true, want false")
	}
	want := "postgres://warden@127.0.0.1:" + strconv.Itoa(s1.Port()) + "/app?sslmode=disable"
	if got := s1.URL("app"); got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}

	s2, err := pglocal.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Reused() || s2.Port() != s1.Port() {
		t.Errorf("second Start: reused=%v port=%d, want reused on port %d", s2.Reused(), s2.Port(), s1.Port())
	}
	if err := s2.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Stop(); err != nil {
		t.Errorf("Stop of a server already stopped: %v, want nil", err)
	}

	s3, err := pglocal.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3.Stop() })
	if s3.Reused() || s3.Port() != s1.Port() {
		t.Errorf("restart: reused=%v port=%d, want a fresh start on remembered port %d", s3.Reused(), s3.Port(), s1.Port())
	}
	conf, err := os.ReadFile(filepath.Join(dir, "postgresql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(conf), "include_if_exists = 'warden.conf'"); n != 1 {
		t.Errorf("include line appears %d times in postgresql.conf, want 1", n)
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses root: the cluster must belong to someone else.
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Errorf("data directory owned by uid 0, want an unprivileged user")
		}
	}
	if got := query(t, s3.URL("postgres"), "SELECT current_setting('data_directory')"); got != dir {
		t.Errorf("data_directory = %s, want %s", got, dir)
	}
}

func TestMissingBinaries(t *testing.T) {
	_, err := pglocal.StartWith(context.Background(), pglocal.Options{
		Dir:    filepath.Join(t.TempDir(), "pg"),
		BinDir: t.TempDir(),
	})
	if err == nil || !strings.Contains(err.Error(), "initdb not found: install postgresql") {
		t.Errorf("err = %v, want one saying initdb not found: install postgresql", err)
	}
}
