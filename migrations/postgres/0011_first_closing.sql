-- When an action was first closed. Reopening clears closed_at, but not this:
-- signatures made before the first closing are anonymised counting from it.
ALTER TABLE support_actions ADD COLUMN first_closed_at BIGINT;
UPDATE support_actions SET first_closed_at = closed_at;
