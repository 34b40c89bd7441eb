package repo

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	warden "github.com/warden-authz/warden"
)

const userColumns = `users.tenant_id, users.id, users.email, users.name, users.first_seen, users.last_seen`

// UserStore records the subjects the service has seen.
type UserStore struct {
	ext sqlx.ExtContext
	// Now stamps first_seen and last_seen when the user carries neither.
	Now func() time.Time
}

// NewUserStore returns a store on db, stamping rows with the wall clock.
func NewUserStore(db *DB) *UserStore {
	return &UserStore{ext: db.db, Now: time.Now}
}

// WithTx returns a copy of the store whose statements run in tx.
func (s *UserStore) WithTx(tx *sqlx.Tx) *UserStore {
	c := *s
	c.ext = tx
	return &c
}

// UpsertUser records a sighting of u in u.TenantID at u.LastSeen (now when
// zero): a new user is inserted, a known one gets the new email and name. An
// unchanged user seen again within a minute is not written, so that calling
// this on every request does not turn every read into a write.
func (s *UserStore) UpsertUser(ctx context.Context, u warden.User) error {
	const q = `INSERT INTO users AS u (tenant_id, id, email, name, first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (tenant_id, id) DO UPDATE
		SET email = EXCLUDED.email, name = EXCLUDED.name, last_seen = GREATEST(u.last_seen, EXCLUDED.last_seen)
		WHERE u.email <> EXCLUDED.email OR u.name <> EXCLUDED.name
			OR u.last_seen < EXCLUDED.last_seen - interval '1 minute'`
	if err := checkTenant(u.TenantID); err != nil {
		return err
	}
	seen := u.LastSeen
	if seen.IsZero() {
		seen = now(s.Now)
	}
	if _, err := s.ext.ExecContext(ctx, q, u.TenantID, u.ID, u.Email, u.Name, seen); err != nil {
		return fmt.Errorf("upsert user %s: %w", u.ID, translate(err))
	}
	return nil
}

// FindUsers lists the users of a tenant, or of every tenant when tenant is nil
// (platform administrators), ordered by tenant and id.
func (s *UserStore) FindUsers(ctx context.Context, tenant *string, limit, offset int) ([]*warden.User, error) {
	// A nil tenant is the only statement that reads every tenant on purpose.
	const q = `SELECT ` + userColumns + ` FROM users
		WHERE $1::text IS NULL OR users.tenant_id = $1
		ORDER BY users.tenant_id, users.id
		LIMIT $2 OFFSET $3`
	if tenant != nil {
		if err := checkTenant(*tenant); err != nil {
			return nil, err
		}
	}
	if offset < 0 {
		return nil, warden.Errorf(warden.EINVALID, "offset must not be negative")
	}
	if limit <= 0 {
		limit = warden.ListLimitDefault
	}
	users := []*warden.User{}
	if err := sqlx.SelectContext(ctx, s.ext, &users, q, tenant, limit, offset); err != nil {
		return nil, fmt.Errorf("find users: %w", translate(err))
	}
	return users, nil
}

// Stats counts each tenant's users, tasks, posts and open reports: one tenant's
// (a row of zeros if it has nothing), or every tenant's when tenant is nil.
func (s *UserStore) Stats(ctx context.Context, tenant *string) ([]warden.TenantStats, error) {
	const q = `SELECT tenant_id,
			sum(users)::bigint AS users, sum(tasks)::bigint AS tasks,
			sum(posts)::bigint AS posts, sum(open_reports)::bigint AS open_reports
		FROM (
			SELECT tenant_id, count(*) AS users, 0 AS tasks, 0 AS posts, 0 AS open_reports
				FROM users WHERE $1::text IS NULL OR tenant_id = $1 GROUP BY tenant_id
			UNION ALL
			SELECT tenant_id, 0, count(*), 0, 0
				FROM tasks WHERE $1::text IS NULL OR tenant_id = $1 GROUP BY tenant_id
			UNION ALL
			SELECT tenant_id, 0, 0, count(*), 0
				FROM posts WHERE $1::text IS NULL OR tenant_id = $1 GROUP BY tenant_id
			UNION ALL
			SELECT tenant_id, 0, 0, 0, count(*)
				FROM reports WHERE ($1::text IS NULL OR tenant_id = $1) AND status = 'open' GROUP BY tenant_id
		) AS counts
		GROUP BY tenant_id
		ORDER BY tenant_id`
	if tenant != nil {
		if err := checkTenant(*tenant); err != nil {
			return nil, err
		}
	}
	stats := []warden.TenantStats{}
	if err := sqlx.SelectContext(ctx, s.ext, &stats, q, tenant); err != nil {
		return nil, fmt.Errorf("tenant stats: %w", translate(err))
	}
	if tenant != nil && len(stats) == 0 {
		stats = append(stats, warden.TenantStats{TenantID: *tenant})
	}
	return stats, nil
}
