-- Knowledge imports (CSV, XLSX, JSONL): progress while running and the
-- per-row error report to download afterwards. (Per-channel answer variants
-- live inside knowledge_items.answer JSON and need no column.)

CREATE TABLE knowledge_imports (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    actor_id           TEXT,
    -- jsonl, csv or xlsx
    format             TEXT NOT NULL,
    total              BIGINT NOT NULL,
    processed          BIGINT NOT NULL DEFAULT 0,
    created_count      BIGINT NOT NULL DEFAULT 0,
    error_count        BIGINT NOT NULL DEFAULT 0,
    categories_created BIGINT NOT NULL DEFAULT 0,
    -- JSON array of {row, code, message}
    report             TEXT NOT NULL DEFAULT '[]',
    -- running, done, failed
    status             TEXT NOT NULL DEFAULT 'running',
    error              TEXT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX knowledge_imports_tenant ON knowledge_imports(tenant_id, created_at);
