-- The bot in the conversation: every decision with its scores (the decision
-- log a lead inspects), the visitor's helpful/unhelpful feedback on an answer,
-- and the unmatched questions (未匹配问题) collected for review.

CREATE TABLE bot_decisions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    question        TEXT NOT NULL,
    -- answer | suggest | no_match | chosen | handoff | flow
    outcome         TEXT NOT NULL,
    -- the item answered (no foreign key: the log outlives a deleted item)
    item_id         TEXT,
    -- JSON: confidence, thresholds, semantic on/off, emotion, candidates with every signal
    detail          TEXT NOT NULL,
    -- helpful | unhelpful
    feedback        TEXT,
    feedback_at     BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX bot_decisions_conversation ON bot_decisions(tenant_id, conversation_id, created_at);

CREATE TABLE unmatched_questions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    decision_id     TEXT REFERENCES bot_decisions(id),
    text            TEXT NOT NULL,
    -- no_match | unhelpful
    reason          TEXT NOT NULL,
    -- open | attached | created | dismissed
    status          TEXT NOT NULL DEFAULT 'open',
    item_id         TEXT,
    resolved_by     TEXT,
    resolved_at     BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX unmatched_questions_status ON unmatched_questions(tenant_id, status, created_at);
