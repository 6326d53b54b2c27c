-- Sticky routing (老客户优先原客服): how long a returning customer waits for
-- their previous agent before the group's normal routing takes over.
ALTER TABLE skill_groups ADD COLUMN sticky_wait_seconds BIGINT NOT NULL DEFAULT 60;
