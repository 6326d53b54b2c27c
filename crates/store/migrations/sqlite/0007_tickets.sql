-- Tickets (工单): ticket types with their form and workflow, tickets numbered
-- per tenant, comments (public replies and internal notes), the history of
-- every field change, watchers, per-user notifications, and the skill-group
-- flow scope (技能组工单流转范围).

-- JSON array of skill-group ids a ticket may be handed to from this group;
-- NULL = no scope set (SPEC §3: then every group).
ALTER TABLE skill_groups ADD COLUMN flow_scope TEXT;

CREATE TABLE ticket_types (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    -- JSON: [{key, label, kind, required?, options?, cascade?}]
    fields           TEXT NOT NULL DEFAULT '[]',
    -- JSON: {statuses: [{key, label, initial, category}], transitions: [{from, to, label, roles?, skill_groups?}]}
    workflow         TEXT NOT NULL,
    skill_group_id   TEXT REFERENCES skill_groups(id),
    default_priority TEXT NOT NULL DEFAULT 'normal',
    active           BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- The last ticket number given out in a tenant (numbers are gap-free per tenant).
CREATE TABLE ticket_counters (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    last_number BIGINT NOT NULL
);

CREATE TABLE tickets (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    number             BIGINT NOT NULL,
    type_id            TEXT NOT NULL REFERENCES ticket_types(id),
    title              TEXT NOT NULL,
    field_values       TEXT NOT NULL DEFAULT '{}',
    customer_id        TEXT REFERENCES customers(id),
    conversation_id    TEXT REFERENCES conversations(id),
    offline_message_id TEXT REFERENCES offline_messages(id),
    -- manual, api, conversation, offline_message, bot
    source             TEXT NOT NULL,
    assignee_id        TEXT REFERENCES users(id),
    skill_group_id     TEXT REFERENCES skill_groups(id),
    -- a workflow status key of the type, and its category: open, resolved, closed
    status             TEXT NOT NULL,
    status_category    TEXT NOT NULL,
    priority           TEXT NOT NULL,
    due_at             BIGINT,
    created_by         TEXT,
    created_by_name    TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    resolved_at        BIGINT,
    closed_at          BIGINT,
    UNIQUE (tenant_id, number)
);
CREATE INDEX tickets_group ON tickets(tenant_id, status_category, skill_group_id);
CREATE INDEX tickets_assignee ON tickets(tenant_id, assignee_id, status_category);
CREATE INDEX tickets_customer ON tickets(tenant_id, customer_id, created_at);
CREATE INDEX tickets_conversation ON tickets(tenant_id, conversation_id);

CREATE TABLE ticket_comments (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    -- reply (public: the customer sees it) or note (internal)
    kind        TEXT NOT NULL,
    -- agent, customer or system
    author_type TEXT NOT NULL DEFAULT 'agent',
    author_id   TEXT,
    author_name TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    -- JSON array of attachment ids
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments(tenant_id, ticket_id, created_at);

-- Every change of a ticket: who, when, which field, old → new (JSON values).
CREATE TABLE ticket_history (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    actor_id   TEXT,
    actor_name TEXT NOT NULL DEFAULT '',
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    at         BIGINT NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history(tenant_id, ticket_id, at);

CREATE TABLE ticket_watchers (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, user_id)
);
CREATE INDEX ticket_watchers_user ON ticket_watchers(tenant_id, user_id);

-- In-app notifications, one list per user.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    ticket_id  TEXT,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications(tenant_id, user_id, created_at);
