-- Multi-turn flows (多轮对话): the flow definitions (a JSON graph validated by
-- kefu-bot), each conversation's running flow state, and an optional flow a
-- knowledge item starts.

CREATE TABLE flows (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    -- JSON: {"triggers": [...], "start": "...", "nodes": [...]}
    definition  TEXT NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX flows_name ON flows(tenant_id, name);

-- One row per conversation: the flow it runs (or ran last). Written after
-- every step, so a reconnect or a restart continues where the flow was.
CREATE TABLE conversation_flows (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    flow_id         TEXT NOT NULL,
    -- 'active' (waiting for the visitor or an HTTP answer), 'finished', 'handed_off'
    status          TEXT NOT NULL,
    -- JSON kefu_bot::flow::FlowState: node, slots, retries, phase
    state           TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX conversation_flows_tenant ON conversation_flows(tenant_id, flow_id);

ALTER TABLE knowledge_items ADD COLUMN flow_id TEXT;
