-- Customers (CRM): templates with admin-defined fields, the customer's template,
-- values, status, owner (NULL = public pool) and source, follow-up history,
-- OneID merge tombstones, and CSV import reports.

CREATE TABLE customer_templates (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    name               TEXT NOT NULL,
    fields             TEXT NOT NULL DEFAULT '[]',
    statuses           TEXT NOT NULL DEFAULT '[]',
    pool_hidden_status TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

ALTER TABLE customers ADD COLUMN template_id TEXT REFERENCES customer_templates(id);
ALTER TABLE customers ADD COLUMN field_values TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN owner_id TEXT REFERENCES users(id);
ALTER TABLE customers ADD COLUMN source TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE customers ADD COLUMN next_follow_up_at BIGINT;
ALTER TABLE customers ADD COLUMN claimed_at BIGINT;
-- Set when this record was merged into another; such a record is kept for
-- history (and old links) but no list or look-up returns it.
ALTER TABLE customers ADD COLUMN merged_into TEXT;
CREATE INDEX customers_email ON customers(tenant_id, email);
CREATE INDEX customers_owner ON customers(tenant_id, owner_id, template_id);
CREATE INDEX customers_merged ON customers(tenant_id, merged_into);

CREATE TABLE customer_follow_ups (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    author_id         TEXT,
    author_name       TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL,
    body              TEXT NOT NULL,
    next_follow_up_at BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX customer_follow_ups_customer ON customer_follow_ups(tenant_id, customer_id, created_at);

CREATE TABLE customer_imports (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    template_id     TEXT REFERENCES customer_templates(id),
    actor_id        TEXT,
    total           BIGINT NOT NULL,
    created_count   BIGINT NOT NULL,
    duplicate_count BIGINT NOT NULL,
    error_count     BIGINT NOT NULL,
    report          TEXT NOT NULL DEFAULT '[]',
    -- running (rows still being read; `processed` counts them), done, failed.
    status          TEXT NOT NULL DEFAULT 'done',
    processed       BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      BIGINT NOT NULL
);

-- Every phone number of a live customer (the main one and the template's phone
-- fields), for the screen pop: a shared number may lead to several customers.
CREATE TABLE customer_phones (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    phone       TEXT NOT NULL,
    PRIMARY KEY (customer_id, phone)
);
CREATE INDEX customer_phones_phone ON customer_phones(tenant_id, phone);
INSERT INTO customer_phones (tenant_id, customer_id, phone)
    SELECT tenant_id, id, phone FROM customers WHERE phone IS NOT NULL AND phone <> '';
