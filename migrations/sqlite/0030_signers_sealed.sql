-- Signers' details unreadable in a copy of the database (issue 30): names,
-- places, client addresses and the address itself are sealed with the data
-- key (`server::data_key`), which is never in the database. One address
-- still signs once: it is found again by its keyed hash (`email_hash`),
-- never read back from it; mail to the signer reads `email_sealed`. Rows
-- written before this are sealed by the first start that has the key
-- (`signing::at_rest::seal_in_clear`).
ALTER TABLE signatures RENAME COLUMN canonical_email TO email_hash;
ALTER TABLE signatures ADD COLUMN email_sealed TEXT;
ALTER TABLE unsubscribe_links RENAME COLUMN canonical_email TO email_hash;

-- The key of those hashes, sealed with the data key: a new data key
-- re-seals it, and the hashes stay what they are while the site serves.
CREATE TABLE email_index_key (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
