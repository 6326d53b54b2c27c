-- SLA (服务水平) for tickets: named business calendars, policies per ticket type
-- and priority, one timer per ticket and target, the events reports count, the
-- customers' satisfaction surveys, and the per-tenant key that signs progress
-- links (进度跟踪).

-- The key of the tenant's customer-facing links (HMAC-SHA256), made on first use.
ALTER TABLE tenants ADD COLUMN link_secret TEXT;

CREATE TABLE business_calendars (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    -- JSON in the shape of a channel's business hours: {utc_offset_minutes,
    -- weekly: [{days, from, to}], holidays: ["YYYY-MM-DD"], workdays: [{date, from, to}]}
    hours      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE sla_policies (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id),
    name                   TEXT NOT NULL,
    -- The ticket type it applies to (NULL: every type without a policy of its own).
    ticket_type_id         TEXT,
    -- The priority it applies to (NULL: every priority without a policy of its own).
    priority               TEXT,
    -- NULL: counted around the clock.
    calendar_id            TEXT REFERENCES business_calendars(id),
    first_response_minutes BIGINT,
    resolution_minutes     BIGINT,
    -- Warn when this share of the target is used (1-99), or this many business
    -- minutes before it; at most one of the two.
    warn_percent           BIGINT,
    warn_before_minutes    BIGINT,
    -- JSON: {"action": "none"} | {"action": "reassign", "user_id"?, "group_id"?}
    --     | {"action": "notify", "user_id"}
    escalation             TEXT NOT NULL,
    enabled                BIGINT NOT NULL DEFAULT 1,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX sla_policies_scope
    ON sla_policies(tenant_id, COALESCE(ticket_type_id, ''), COALESCE(priority, ''));

-- One running or finished clock: (ticket, target) with target 'first_response'
-- or 'resolution'. next_at is the next instant the ticker must look at it
-- (warning, then breach), NULL once met or breached.
CREATE TABLE sla_timers (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    target      TEXT NOT NULL,
    policy_id   TEXT NOT NULL REFERENCES sla_policies(id),
    started_at  BIGINT NOT NULL,
    warn_at     BIGINT,
    due_at      BIGINT NOT NULL,
    warned_at   BIGINT,
    breached_at BIGINT,
    met_at      BIGINT,
    next_at     BIGINT,
    UNIQUE (ticket_id, target)
);
CREATE INDEX sla_timers_next ON sla_timers(next_at);
CREATE INDEX sla_timers_tenant ON sla_timers(tenant_id, ticket_id);

-- Everything that happened to a clock, for reports: kind is started, warned,
-- breached, escalated or met.
CREATE TABLE sla_events (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    target     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    due_at     BIGINT,
    policy_id  TEXT,
    -- JSON with what the event did (escalation: to whom), or NULL.
    detail     TEXT
);
CREATE INDEX sla_events_tenant_at ON sla_events(tenant_id, at);
CREATE INDEX sla_events_ticket ON sla_events(tenant_id, ticket_id);

-- 满意度: one answer per ticket, given on the progress page after resolution.
CREATE TABLE ticket_surveys (
    ticket_id  TEXT PRIMARY KEY REFERENCES tickets(id),
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    rating     BIGINT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_surveys_tenant ON ticket_surveys(tenant_id, created_at);
