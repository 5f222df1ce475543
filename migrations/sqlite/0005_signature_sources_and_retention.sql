-- Where a signature request came from, for `server report spikes`: bursts
-- from one address are how floods show. Cleared with the rest of the
-- signer's details when the retention period ends.
ALTER TABLE signatures ADD COLUMN client_ip TEXT;
CREATE INDEX signatures_created ON signatures (created_at);

-- Retention: signatures of an action closed longer than the retention period
-- lose everything that names the signer; their count stays.
ALTER TABLE support_actions ADD COLUMN closed_at BIGINT;
ALTER TABLE signatures ADD COLUMN anonymised BOOLEAN NOT NULL DEFAULT FALSE;
