-- Knowledge base (知识库): categories up to three levels deep, items with a
-- standard question, a JSON answer, validity and similar phrasings, and the
-- tenant's synonym groups.

CREATE TABLE knowledge_categories (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES knowledge_categories(id),
    -- 1 for a top-level category, at most 3.
    depth      BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX knowledge_categories_name
    ON knowledge_categories(tenant_id, COALESCE(parent_id, ''), name);

CREATE TABLE knowledge_items (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    category_id TEXT NOT NULL REFERENCES knowledge_categories(id),
    question    TEXT NOT NULL,
    -- JSON: {"text": "...", "rich": {...}?}
    answer      TEXT NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 1,
    valid_from  BIGINT,
    valid_to    BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX knowledge_items_category ON knowledge_items(tenant_id, category_id);

CREATE TABLE knowledge_phrasings (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    item_id   TEXT NOT NULL REFERENCES knowledge_items(id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (item_id, position)
);
CREATE INDEX knowledge_phrasings_tenant ON knowledge_phrasings(tenant_id, item_id);

CREATE TABLE knowledge_synonyms (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    -- JSON array of terms that mean the same thing.
    terms      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX knowledge_synonyms_tenant ON knowledge_synonyms(tenant_id);
