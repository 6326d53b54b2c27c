-- The routing strategy of each skill group.
ALTER TABLE skill_groups ADD COLUMN strategy TEXT NOT NULL DEFAULT 'least_busy';
