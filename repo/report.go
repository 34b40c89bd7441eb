package repo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	warden "github.com/warden-authz/warden"
)

const reportColumns = `reports.id, reports.tenant_id, reports.post_id, reports.reporter_id, reports.reason,
	reports.status, reports.resolved_by, reports.resolved_at, reports.created_at`

// ReportStore reads and writes reports on posts. Every method is scoped by tenant.
type ReportStore struct {
	ext sqlx.ExtContext
	// Now stamps created_at and resolved_at.
	Now func() time.Time
}

// NewReportStore returns a store on db, stamping rows with the wall clock.
func NewReportStore(db *DB) *ReportStore {
	return &ReportStore{ext: db.db, Now: time.Now}
}

// WithTx returns a copy of the store whose statements run in tx.
func (s *ReportStore) WithTx(tx *sqlx.Tx) *ReportStore {
	c := *s
	c.ext = tx
	return &c
}

// CreateReport files an open report on a post. A report belongs to the
// tenant of its post, for that tenant's moderators: a post that is not the
// tenant's answers ENOTFOUND ("post not found").
func (s *ReportStore) CreateReport(ctx context.Context, tenant, reporter string, postID int64, reason string) (*warden.Report, error) {
	const q = `INSERT INTO reports (tenant_id, post_id, reporter_id, reason, created_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING ` + reportColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var r warden.Report
	if err := sqlx.GetContext(ctx, s.ext, &r, q, tenant, postID, reporter, reason, now(s.Now)); err != nil {
		return nil, fmt.Errorf("create report on post %d: %w", postID, translate(err))
	}
	return &r, nil
}

// FindReports lists the tenant's reports that vis lets through, newest first,
// only those with the given status when status is not nil.
func (s *ReportStore) FindReports(ctx context.Context, tenant string, vis warden.Condition, status *string, limit, offset int) ([]*warden.Report, error) {
	const q = `SELECT ` + reportColumns + ` FROM reports WHERE reports.tenant_id = $1 AND `
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, warden.Errorf(warden.EINVALID, "offset must not be negative")
	}
	if limit <= 0 {
		limit = warden.ListLimitDefault
	}
	where, args, err := WhereClause(vis, "reports", 1)
	if err != nil {
		return nil, fmt.Errorf("find reports: %w", err)
	}
	args = append([]any{tenant}, args...)
	if status != nil {
		args = append(args, *status)
		where += " AND reports.status = $" + strconv.Itoa(len(args))
	}
	args = append(args, limit, offset)
	query := q + where + ` ORDER BY reports.created_at DESC, reports.id DESC LIMIT $` +
		strconv.Itoa(len(args)-1) + ` OFFSET $` + strconv.Itoa(len(args))
	reports := []*warden.Report{}
	if err := sqlx.SelectContext(ctx, s.ext, &reports, query, args...); err != nil {
		return nil, fmt.Errorf("find reports: %w", translate(err))
	}
	return reports, nil
}

// FindReportByID returns a report of the tenant (ENOTFOUND if there is none).
func (s *ReportStore) FindReportByID(ctx context.Context, tenant string, id int64) (*warden.Report, error) {
	const q = `SELECT ` + reportColumns + ` FROM reports WHERE reports.tenant_id = $1 AND reports.id = $2`
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var r warden.Report
	if err := sqlx.GetContext(ctx, s.ext, &r, q, tenant, id); err != nil {
		return nil, fmt.Errorf("find report %d: %w", id, notFound(err, "report not found"))
	}
	return &r, nil
}

// ResolveReport sets a report's status: resolved or dismissed records who
// and when; open reopens it and clears both.
func (s *ReportStore) ResolveReport(ctx context.Context, tenant string, id int64, status, by string) (*warden.Report, error) {
	const q = `UPDATE reports SET status = $3::text,
		resolved_by = CASE WHEN $3 = 'open' THEN NULL ELSE $4::text END,
		resolved_at = CASE WHEN $3 = 'open' THEN NULL ELSE $5::timestamptz END
		WHERE reports.tenant_id = $1 AND reports.id = $2
		RETURNING ` + reportColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	switch status {
	case warden.ReportResolved, warden.ReportDismissed:
		if by == "" {
			return nil, fmt.Errorf("resolve report %d: %w", id, warden.Errorf(warden.EINVALID, "resolver required"))
		}
	case warden.ReportOpen:
	default:
		return nil, warden.Invalid([]warden.FieldError{{Field: "status", Message: "must be one of open, resolved, dismissed"}})
	}
	var r warden.Report
	if err := sqlx.GetContext(ctx, s.ext, &r, q, tenant, id, status, by, now(s.Now)); err != nil {
		return nil, fmt.Errorf("resolve report %d: %w", id, notFound(err, "report not found"))
	}
	return &r, nil
}
