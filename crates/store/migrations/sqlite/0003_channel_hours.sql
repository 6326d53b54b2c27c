-- Business hours per channel (JSON; 'null' = always open).
ALTER TABLE channels ADD COLUMN business_hours TEXT NOT NULL DEFAULT 'null';
