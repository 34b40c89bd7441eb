package repo_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	warden "github.com/warden-authz/warden"
	"github.com/warden-authz/warden/repo"
)

func TestTranslatePQErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.raw.ExecContext(ctx, `INSERT INTO users (tenant_id, id, first_seen, last_seen) VALUES ('t', 'u', now(), now())`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		q         string
		wantCode  string
		wantMsg   string
		wantField string
	}{
		{"23505 unique", `INSERT INTO users (tenant_id, id, first_seen, last_seen) VALUES ('t', 'u', now(), now())`,
			warden.ECONFLICT, "already exists", ""},
		{"23503 foreign key", `INSERT INTO reports (tenant_id, post_id, reporter_id, reason, created_at) VALUES ('t', 42, 'u', 'r', now())`,
			warden.ENOTFOUND, "post not found", ""},
		{"23514 check", `INSERT INTO tasks (tenant_id, owner_id, title, priority, created_at, updated_at) VALUES ('t', 'u', 'x', 'urgent', now(), now())`,
			warden.EINVALID, "priority: must be one of low, medium, high", "priority"},
		{"23502 not null", `INSERT INTO tasks (tenant_id, owner_id, title, created_at, updated_at) VALUES ('t', 'u', NULL, now(), now())`,
			warden.EINVALID, "title: must not be null", "title"},
		{"22P02 invalid text", `SELECT 'x'::int`, warden.EINVALID, "invalid value", ""},
		{"22003 out of range", `SELECT 2147483647::int + 1`, warden.EINVALID, "invalid value", ""},
		{"22007 bad timestamp", `SELECT '2025-13-45'::timestamptz`, warden.EINVALID, "invalid value", ""},
		{"42P01 is ours, not the client's", `SELECT * FROM no_such_table`, warden.EINTERNAL, "internal error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, raw := e.raw.ExecContext(ctx, tt.q)
			if raw == nil {
				t.Fatal("statement succeeded")
			}
			err := repo.Translate(raw)
			if got := warden.ErrorCode(err); got != tt.wantCode {
				t.Errorf("code %q, want %q (%v)", got, tt.wantCode, err)
			}
			if got := warden.ErrorMessage(err); got != tt.wantMsg {
				t.Errorf("message %q, want %q", got, tt.wantMsg)
			}
			if fields := warden.ErrorFields(err); tt.wantField != "" && (len(fields) != 1 || fields[0].Field != tt.wantField) {
				t.Errorf("fields %+v, want one naming %s", fields, tt.wantField)
			}
			if _, ok := errors.AsType[*pq.Error](err); !ok {
				t.Errorf("the driver error is gone from the chain: %v", err)
			}
		})
	}
}

func TestTranslateUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()

	// 57014: the server cancelled the statement.
	tx, err := e.raw.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = '20ms'`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_sleep(2)`)
	if pe, ok := errors.AsType[*pq.Error](err); !ok || pe.Code != "57014" {
		t.Fatalf("got %v, want a 57014", err)
	}
	wantCode(t, repo.Translate(err), warden.EUNAVAILABLE)

	// The caller's deadline: the driver cancels the statement.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err = e.raw.ExecContext(short, `SELECT pg_sleep(2)`)
	wantCode(t, repo.Translate(err), warden.EUNAVAILABLE)
	if elapsed := time.Since(begin); elapsed > time.Second {
		t.Errorf("a cancelled statement took %v", elapsed)
	}

	wantCode(t, repo.Translate(sql.ErrNoRows), warden.ENOTFOUND)
	wantCode(t, repo.Translate(errors.New("boom")), warden.EINTERNAL)
	wantCode(t, repo.Translate(nil), "")
	if repo.Translate(nil) != nil {
		t.Error("Translate(nil) != nil")
	}
	domain := warden.Errorf(warden.EFORBIDDEN, "no")
	if got := repo.Translate(domain); got != error(domain) {
		t.Errorf("a domain error was rewrapped: %v", got)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now

	_, err = repo.Open(t.Context(), "postgres://warden:s3cret@127.0.0.1:"+strconv.Itoa(port)+"/x?sslmode=disable")
	wantCode(t, err, warden.EUNAVAILABLE)
	if strings.Contains(warden.ErrorMessage(err), "s3cret") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the password leaked into %v", err)
	}

	_, err = repo.Open(t.Context(), "postgres://warden:s3cret@[::1")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: %v, want an error without the password", err)
	}
}

func TestOpenReportsConfigErrors(t *testing.T) {
	t.Setenv("PGREQUIREAUTH", "scram-sha-256")
	_, err := repo.Open(t.Context(), "postgres://warden:s3cret@127.0.0.1:1/x?sslmode=disable")
	if err == nil || !strings.Contains(err.Error(), "PGREQUIREAUTH") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %v, want an error naming PGREQUIREAUTH without the password", err)
	}
}
