-- Bot thresholds (机器人阈值) per tenant, optionally overridden per bot channel:
-- the confidences at which the bot answers outright (answer), offers
-- 您是不是想问 choices (suggest), or else admits no match — one pair for the
-- lexical path and one for the semantic (embedding) path, whose confidences
-- run on different scales. channel_id '' is the tenant's own setting; a
-- channel's row overrides it for conversations on that channel. A tenant with
-- no row uses the built-in defaults.
CREATE TABLE bot_thresholds (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    channel_id       TEXT NOT NULL DEFAULT '',
    lexical_answer   DOUBLE PRECISION NOT NULL,
    lexical_suggest  DOUBLE PRECISION NOT NULL,
    semantic_answer  DOUBLE PRECISION NOT NULL,
    semantic_suggest DOUBLE PRECISION NOT NULL,
    updated_by       TEXT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, channel_id)
);
