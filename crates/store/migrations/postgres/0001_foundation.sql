-- Foundation (PostgreSQL twin of migrations/sqlite/0001_foundation.sql; keep them in step).
-- Times are unix milliseconds (BIGINT), booleans 0/1, ids UUIDv7 text: the same
-- column types on SQLite and PostgreSQL so the store has one code path.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    builtin     TEXT,
    permissions TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    parent_id   TEXT REFERENCES departments(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX departments_tenant ON departments(tenant_id);

CREATE TABLE reception_statuses (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    can_receive BIGINT NOT NULL,
    sort_order  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    username         TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    email            TEXT,
    password_hash    TEXT NOT NULL,
    role_id          TEXT NOT NULL REFERENCES roles(id),
    department_id    TEXT REFERENCES departments(id),
    reception_limit  BIGINT NOT NULL,
    sip_extension    TEXT,
    status_id        TEXT REFERENCES reception_statuses(id),
    status_changed_at BIGINT,
    locale           TEXT,
    active           BIGINT NOT NULL DEFAULT 1,
    totp_secret      TEXT,
    totp_enabled     BIGINT NOT NULL DEFAULT 0,
    totp_last_step   BIGINT,
    failed_logins    BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE skill_groups (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    name          TEXT NOT NULL,
    department_id TEXT REFERENCES departments(id),
    description   TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE skill_group_members (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    skill_group_id TEXT NOT NULL REFERENCES skill_groups(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, skill_group_id, user_id)
);

CREATE TABLE agent_status_events (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    from_status_id TEXT,
    to_status_id   TEXT NOT NULL,
    actor_id       TEXT,
    at             BIGINT NOT NULL
);
CREATE INDEX agent_status_events_user ON agent_status_events(tenant_id, user_id, at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    role_id      TEXT NOT NULL REFERENCES roles(id),
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    totp_pending BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    actor_id      TEXT,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    before_json   TEXT,
    after_json    TEXT,
    ip            TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant_at ON audit_log(tenant_id, at);

CREATE TABLE channels (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    public_key     TEXT NOT NULL UNIQUE,
    skill_group_id TEXT REFERENCES skill_groups(id),
    greeting       TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);
