package repo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Pool settings: a replica serves many requests with a few connections, and
// recycling them lets a load balancer in front of PostgreSQL (PgBouncer, a
// distributed coordinator) rebalance.
const (
	maxOpenConns    = 20
	maxIdleConns    = 10
	connMaxLifetime = 30 * time.Minute
	pingTimeout     = 5 * time.Second
	connectTimeout  = 10 * time.Second
)

// migrationLockKey is the advisory lock that serialises migrations of replicas
// starting at the same time ("warden" in ASCII).
const migrationLockKey int64 = 0x77617264656e

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is a pool of connections to Warden's database.
type DB struct {
	db *sqlx.DB
}

// Open connects to the database at url and checks that it answers. The session
// time zone is UTC, so timestamps come back in UTC.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pq.NewConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %s", redact(err.Error(), url))
	}
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	if !hasKeyFold(cfg.Runtime, "timezone") {
		cfg.Runtime["TimeZone"] = "UTC"
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "warden"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sdb := sql.OpenDB(connector)
	sdb.SetMaxOpenConns(maxOpenConns)
	sdb.SetMaxIdleConns(maxIdleConns)
	sdb.SetConnMaxLifetime(connMaxLifetime)
	db := &DB{db: sqlx.NewDb(sdb, "postgres")}
	if err := db.Ping(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// redact removes the URL's password from msg; a URL too broken to find the
// password in is not quoted at all.
func redact(msg, rawURL string) string {
	u, err := neturl.Parse(rawURL)
	if err != nil {
		return "invalid database URL"
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

func hasKeyFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// Close closes every connection of the pool.
func (db *DB) Close() error { return db.db.Close() }

// Ping checks that the database answers within a few seconds (EUNAVAILABLE otherwise).
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := db.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", translate(err))
	}
	return nil
}

// Stats reports the pool's counters, for metrics.
func (db *DB) Stats() sql.DBStats { return db.db.Stats() }

// InTx runs fn in a transaction, committed when fn returns nil and rolled back
// otherwise (or when fn panics). Stores take part with their WithTx method.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", translate(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

type migration struct {
	version  string // file name without .sql: "0001_init"
	sql      string
	checksum string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{
			version:  strings.TrimSuffix(path.Base(name), ".sql"),
			sql:      string(b),
			checksum: hex.EncodeToString(sum[:]),
		})
	}
	return out, nil
}

// Migrate applies the embedded migrations not yet applied, in file-name order,
// each in its own transaction. Every transaction first takes an advisory lock,
// so replicas starting together apply each migration exactly once; versions
// this binary does not know (applied by a newer release) are left alone, so an
// old replica keeps starting during a rolling upgrade. A migration edited after
// it was applied is an error.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: read embedded migrations: %w", err)
	}
	for _, m := range all {
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return applyMigration(ctx, tx, m) }); err != nil {
			return fmt.Errorf("migrate %s: %w", m.version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, tx *sqlx.Tx, m migration) error {
	// Released at commit or rollback, so a failing replica never keeps it.
	const qLock = `SELECT pg_advisory_xact_lock($1)`
	if _, err := tx.ExecContext(ctx, qLock, migrationLockKey); err != nil {
		return translate(err)
	}
	const qTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text        PRIMARY KEY,
		checksum   text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := tx.ExecContext(ctx, qTable); err != nil {
		return translate(err)
	}
	const qApplied = `SELECT checksum FROM schema_migrations WHERE version = $1`
	var sum string
	err := tx.GetContext(ctx, &sum, qApplied, m.version)
	switch {
	case err == nil && sum == m.checksum:
		return nil
	case err == nil:
		return fmt.Errorf("applied migration was edited afterwards (checksum %s, now %s)", sum, m.checksum)
	case !errors.Is(err, sql.ErrNoRows):
		return translate(err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return translate(err)
	}
	const qRecord = `INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)`
	if _, err := tx.ExecContext(ctx, qRecord, m.version, m.checksum); err != nil {
		return translate(err)
	}
	return nil
}
