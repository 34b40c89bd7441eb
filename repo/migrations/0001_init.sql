-- Every table is keyed and indexed tenant first, so that the schema can be
-- distributed by tenant_id (docs/SCALING.md). Every column a policy may filter
-- on is NOT NULL: SQL's NULL logic and Rego's `not` must never disagree.

-- Trigram indexes make the case-insensitive substring search on titles indexable.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE tasks (
    tenant_id   text        NOT NULL CONSTRAINT tasks_tenant_id_check CHECK (tenant_id <> ''),
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    owner_id    text        NOT NULL CONSTRAINT tasks_owner_id_check CHECK (owner_id <> ''),
    title       text        NOT NULL CONSTRAINT tasks_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
    description text        CONSTRAINT tasks_description_check CHECK (char_length(description) <= 10000),
    completed   boolean     NOT NULL DEFAULT false,
    priority    text        NOT NULL DEFAULT 'medium'
                            CONSTRAINT tasks_priority_check CHECK (priority IN ('low', 'medium', 'high')),
    due_date    timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT tasks_pkey PRIMARY KEY (tenant_id, id),
    -- /api/tasks/{id} names a task by id alone.
    CONSTRAINT tasks_id_key UNIQUE (id)
);

-- A member's own tasks, newest first (also serves keyset pagination).
CREATE INDEX tasks_tenant_owner_created_idx ON tasks (tenant_id, owner_id, created_at DESC, id DESC);
-- Every task of a tenant, newest first.
CREATE INDEX tasks_tenant_created_idx ON tasks (tenant_id, created_at DESC, id DESC);
-- title ILIKE '%term%'.
CREATE INDEX tasks_title_trgm_idx ON tasks USING gin (title gin_trgm_ops);

CREATE TABLE posts (
    tenant_id  text        NOT NULL CONSTRAINT posts_tenant_id_check CHECK (tenant_id <> ''),
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    owner_id   text        NOT NULL CONSTRAINT posts_owner_id_check CHECK (owner_id <> ''),
    title      text        NOT NULL CONSTRAINT posts_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
    body       text        NOT NULL DEFAULT '' CONSTRAINT posts_body_check CHECK (char_length(body) <= 20000),
    is_public  boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT posts_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT posts_id_key UNIQUE (id)
);

CREATE INDEX posts_tenant_owner_created_idx ON posts (tenant_id, owner_id, created_at DESC, id DESC);
CREATE INDEX posts_tenant_created_idx ON posts (tenant_id, created_at DESC, id DESC);
-- The anonymous listing of public posts is the one read that spans tenants.
CREATE INDEX posts_public_created_idx ON posts (created_at DESC, id DESC) WHERE is_public;

CREATE TABLE reports (
    tenant_id   text        NOT NULL CONSTRAINT reports_tenant_id_check CHECK (tenant_id <> ''),
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    post_id     bigint      NOT NULL,
    reporter_id text        NOT NULL CONSTRAINT reports_reporter_id_check CHECK (reporter_id <> ''),
    reason      text        NOT NULL CONSTRAINT reports_reason_check CHECK (char_length(reason) BETWEEN 1 AND 2000),
    status      text        NOT NULL DEFAULT 'open'
                            CONSTRAINT reports_status_check CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by text,
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL,
    CONSTRAINT reports_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT reports_id_key UNIQUE (id),
    -- Keyed by tenant too: a report and its post live in the same tenant (and shard).
    CONSTRAINT reports_post_fk FOREIGN KEY (tenant_id, post_id) REFERENCES posts (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT reports_resolution_check CHECK (
        (status = 'open' AND resolved_by IS NULL AND resolved_at IS NULL)
        OR (status <> 'open' AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL)
    )
);

CREATE INDEX reports_tenant_status_created_idx ON reports (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX reports_tenant_created_idx ON reports (tenant_id, created_at DESC, id DESC);
CREATE INDEX reports_tenant_reporter_created_idx ON reports (tenant_id, reporter_id, created_at DESC, id DESC);
-- Deleting a post cascades to its reports.
CREATE INDEX reports_tenant_post_idx ON reports (tenant_id, post_id);

CREATE TABLE users (
    tenant_id  text        NOT NULL CONSTRAINT users_tenant_id_check CHECK (tenant_id <> ''),
    id         text        NOT NULL CONSTRAINT users_id_check CHECK (id <> ''),
    email      text        NOT NULL DEFAULT '',
    name       text        NOT NULL DEFAULT '',
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id)
);
