-- Ticket capacity (工单上限): how many open tickets routing may give an agent
-- at once, per user like the chat reception limit (was a fixed 10).
ALTER TABLE users ADD COLUMN ticket_limit BIGINT NOT NULL DEFAULT 10;
