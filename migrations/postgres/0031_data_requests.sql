-- A signer's request for what the site holds about their address, and to
-- erase it (issue 30; GDPR Art. 15 and 17), without an account: a link
-- mailed to the address (only its token's SHA-256 kept), which shows and
-- erases what is held. The address waits sealed, found by its keyed hash,
-- until the link ends (erased, replaced, or past its day: retention then
-- clears all three); the row stays a while for the staff's log: when it
-- came, in which language, what became of it.
CREATE TABLE data_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_hash   TEXT,
    email_sealed TEXT,
    token_hash   TEXT UNIQUE,
    language     TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    erased_at    BIGINT
);
CREATE INDEX data_requests_address ON data_requests (email_hash, requested_at);
CREATE INDEX data_requests_requested ON data_requests (requested_at);
