package repo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	warden "github.com/warden-authz/warden"
)

const postColumns = `posts.id, posts.tenant_id, posts.owner_id, posts.title, posts.body,
	posts.is_public, posts.created_at, posts.updated_at`

// PostStore reads and writes posts. Writes are scoped by tenant; reads by id or
// by a visibility condition may span tenants, because anyone may read a public
// post of any tenant.
type PostStore struct {
	ext sqlx.ExtContext
	// Now stamps created_at and updated_at.
	Now func() time.Time
}

// NewPostStore returns a store on db, stamping rows with the wall clock.
func NewPostStore(db *DB) *PostStore {
	return &PostStore{ext: db.db, Now: time.Now}
}

// WithTx returns a copy of the store whose statements run in tx.
func (s *PostStore) WithTx(tx *sqlx.Tx) *PostStore {
	c := *s
	c.ext = tx
	return &c
}

// FindPostByID returns the post with that id in whatever tenant it lives
// (ENOTFOUND if there is none). The caller decides, with the policy and the
// post's TenantID, whether the subject may see it.
func (s *PostStore) FindPostByID(ctx context.Context, id int64) (*warden.Post, error) {
	const q = `SELECT ` + postColumns + ` FROM posts WHERE posts.id = $1`
	var p warden.Post
	if err := sqlx.GetContext(ctx, s.ext, &p, q, id); err != nil {
		return nil, fmt.Errorf("find post %d: %w", id, notFound(err, "post not found"))
	}
	return &p, nil
}

// FindPostInTenant returns a post of the tenant (ENOTFOUND if there is none).
func (s *PostStore) FindPostInTenant(ctx context.Context, tenant string, id int64) (*warden.Post, error) {
	const q = `SELECT ` + postColumns + ` FROM posts WHERE posts.tenant_id = $1 AND posts.id = $2`
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var p warden.Post
	if err := sqlx.GetContext(ctx, s.ext, &p, q, tenant, id); err != nil {
		return nil, fmt.Errorf("find post %d: %w", id, notFound(err, "post not found"))
	}
	return &p, nil
}

// FindPosts lists the posts vis lets through, of every tenant, newest first.
// It is the one read not scoped by a tenant argument: vis must carry the
// tenant restriction for anything but public posts (docs/SCALING.md).
func (s *PostStore) FindPosts(ctx context.Context, vis warden.Condition, limit, offset int) ([]*warden.Post, error) {
	const q = `SELECT ` + postColumns + ` FROM posts WHERE `
	where, args, err := WhereClause(vis, "posts", 0)
	if err != nil {
		return nil, fmt.Errorf("find posts: %w", err)
	}
	return s.findPosts(ctx, q+where, args, limit, offset)
}

// FindTenantPosts lists the tenant's posts that vis lets through, newest first.
func (s *PostStore) FindTenantPosts(ctx context.Context, tenant string, vis warden.Condition, limit, offset int) ([]*warden.Post, error) {
	const q = `SELECT ` + postColumns + ` FROM posts WHERE posts.tenant_id = $1 AND `
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	where, args, err := WhereClause(vis, "posts", 1)
	if err != nil {
		return nil, fmt.Errorf("find posts: %w", err)
	}
	return s.findPosts(ctx, q+where, append([]any{tenant}, args...), limit, offset)
}

func (s *PostStore) findPosts(ctx context.Context, query string, args []any, limit, offset int) ([]*warden.Post, error) {
	if offset < 0 {
		return nil, warden.Errorf(warden.EINVALID, "offset must not be negative")
	}
	if limit <= 0 {
		limit = warden.ListLimitDefault
	}
	args = append(args, limit, offset)
	query += ` ORDER BY posts.created_at DESC, posts.id DESC LIMIT $` + strconv.Itoa(len(args)-1) +
		` OFFSET $` + strconv.Itoa(len(args))
	posts := []*warden.Post{}
	if err := sqlx.SelectContext(ctx, s.ext, &posts, query, args...); err != nil {
		return nil, fmt.Errorf("find posts: %w", translate(err))
	}
	return posts, nil
}

// CreatePost inserts a post owned by owner.
func (s *PostStore) CreatePost(ctx context.Context, tenant, owner string, in warden.PostInput) (*warden.Post, error) {
	const q = `INSERT INTO posts (tenant_id, owner_id, title, body, is_public, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		RETURNING ` + postColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var p warden.Post
	if err := sqlx.GetContext(ctx, s.ext, &p, q, tenant, owner, in.Title, in.Body, in.IsPublic, now(s.Now)); err != nil {
		return nil, fmt.Errorf("create post: %w", translate(err))
	}
	return &p, nil
}

// UpdatePost changes only the fields the patch carries; updated_at moves.
// Every post field is required, so a null answers EINVALID.
func (s *PostStore) UpdatePost(ctx context.Context, tenant string, id int64, p warden.PostPatch) (*warden.Post, error) {
	const q = `UPDATE posts SET
		title      = CASE WHEN $3::boolean THEN $4::text    ELSE title     END,
		body       = CASE WHEN $5::boolean THEN $6::text    ELSE body      END,
		is_public  = CASE WHEN $7::boolean THEN $8::boolean ELSE is_public END,
		updated_at = $9
		WHERE posts.tenant_id = $1 AND posts.id = $2
		RETURNING ` + postColumns
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	var post warden.Post
	err := sqlx.GetContext(ctx, s.ext, &post, q, tenant, id,
		p.Title.Set, optionalValue(p.Title),
		p.Body.Set, optionalValue(p.Body),
		p.IsPublic.Set, optionalValue(p.IsPublic),
		now(s.Now))
	if err != nil {
		return nil, fmt.Errorf("update post %d: %w", id, notFound(err, "post not found"))
	}
	return &post, nil
}

// DeletePost deletes a post of the tenant, and its reports (ENOTFOUND if there is none).
func (s *PostStore) DeletePost(ctx context.Context, tenant string, id int64) error {
	const q = `DELETE FROM posts WHERE posts.tenant_id = $1 AND posts.id = $2`
	if err := checkTenant(tenant); err != nil {
		return err
	}
	res, err := s.ext.ExecContext(ctx, q, tenant, id)
	if err != nil {
		return fmt.Errorf("delete post %d: %w", id, translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete post %d: %w", id, translate(err))
	} else if n == 0 {
		return fmt.Errorf("delete post %d: %w", id, warden.Errorf(warden.ENOTFOUND, "post not found"))
	}
	return nil
}
