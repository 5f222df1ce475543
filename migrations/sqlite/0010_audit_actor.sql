-- Who made a change: `staff` (user_id names the account), `cli` (the operator
-- on the command line) or `feed:ID` (a trusted partner feed publishing on its
-- own); user_id is NULL for the last two.
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT 'staff';
UPDATE audit_log SET actor = 'cli' WHERE user_id IS NULL;
