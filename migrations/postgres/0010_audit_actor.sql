-- Who made a change, by kind: `staff` (user_id names the account) or `cli`
-- (the operator on the command line, user_id NULL).
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT 'staff' CHECK (actor IN ('staff', 'cli'));
UPDATE audit_log SET actor = 'cli' WHERE user_id IS NULL;
