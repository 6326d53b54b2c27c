-- The message writer's journal is a SQLite-file technique (see the SQLite
-- migration): on PostgreSQL every event goes straight to conversation_events.
SELECT 1;
