-- The message writer's journal, in 16 parts by a hash of the conversation id
-- (kefu_store::event_log::journal_table). On a SQLite file the writer appends
-- each new event to its conversation's part first: a table with no index but
-- its rowid, so an append writes only that table's last page. The writer moves
-- one part at a time into conversation_events, in (conversation, seq) order,
-- each part every two seconds: each conversation's index leaves are then
-- written once for all its new events instead of once per event, and no move
-- holds up the messages for long. Readers of the log read both.

CREATE TABLE conversation_event_journal_00 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_01 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_02 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_03 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_04 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_05 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_06 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_07 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_08 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_09 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_10 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_11 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_12 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_13 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_14 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);

CREATE TABLE conversation_event_journal_15 (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender_type     TEXT NOT NULL,
    sender_id       TEXT,
    sender_name     TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    body            TEXT NOT NULL,
    private         BIGINT NOT NULL DEFAULT 0,
    at              BIGINT NOT NULL
);
