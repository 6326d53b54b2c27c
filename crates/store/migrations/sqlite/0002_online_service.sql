-- Online service: visitors, customers, conversations and their event log,
-- offline messages, quick replies, attachments, assignments with explanations.

ALTER TABLE channels ADD COLUMN prechat_fields TEXT NOT NULL DEFAULT '[]';
ALTER TABLE channels ADD COLUMN bot_first BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN identity_secret TEXT;

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT,
    email       TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',
    notes       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX customers_phone ON customers(tenant_id, phone);

CREATE TABLE visitors (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    channel_id       TEXT NOT NULL REFERENCES channels(id),
    token_hash       TEXT NOT NULL UNIQUE,
    external_user_id TEXT,
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    created_at       BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL
);
CREATE INDEX visitors_external ON visitors(tenant_id, channel_id, external_user_id);

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    channel_id      TEXT NOT NULL REFERENCES channels(id),
    visitor_id      TEXT NOT NULL REFERENCES visitors(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    state           TEXT NOT NULL,
    skill_group_id  TEXT,
    agent_id        TEXT,
    priority        BIGINT NOT NULL DEFAULT 0,
    last_seq        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    queued_at       BIGINT,
    assigned_at     BIGINT,
    ended_at        BIGINT,
    summary         TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '[]',
    rating_stars    BIGINT,
    rating_tags     TEXT,
    rating_comment  TEXT,
    rated_at        BIGINT,
    rating_invited_at BIGINT
);
CREATE INDEX conversations_state ON conversations(tenant_id, state);
CREATE INDEX conversations_agent ON conversations(tenant_id, agent_id, state);
CREATE INDEX conversations_visitor ON conversations(tenant_id, visitor_id, state);
CREATE INDEX conversations_customer ON conversations(tenant_id, customer_id, created_at);

-- The per-conversation log: messages and system events, gap-free seq.
CREATE TABLE conversation_events (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);

CREATE TABLE assignments (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    agent_id        TEXT NOT NULL,
    skill_group_id  TEXT,
    explanation     TEXT,
    at              BIGINT NOT NULL
);
CREATE INDEX assignments_conversation ON assignments(tenant_id, conversation_id, at);

CREATE TABLE offline_messages (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    channel_id  TEXT NOT NULL REFERENCES channels(id),
    visitor_id  TEXT,
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT,
    email       TEXT,
    text        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    handled_by  TEXT,
    handled_at  BIGINT
);
CREATE INDEX offline_messages_tenant ON offline_messages(tenant_id, created_at);

CREATE TABLE quick_replies (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    owner_id    TEXT,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    visitor_id      TEXT,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    path            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
