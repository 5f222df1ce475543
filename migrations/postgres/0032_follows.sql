-- Following a case without signing (issue 31): news of one person to one
-- address, at once or in a weekly digest, in the language of the page the
-- follow was asked on, once the address confirmed it from a mail (double
-- opt-in; only the confirmation token's SHA-256 is kept). The address is
-- sealed and found by its keyed hash, as a signer's is. News stops with the
-- stop-the-news links of `unsubscribe_links` (which delete the row), a
-- request for one's data erases it, and retention deletes a follow never
-- confirmed, and one older than signatures may be kept.
CREATE TABLE follows (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    email_hash     TEXT NOT NULL,
    email_sealed   TEXT NOT NULL,
    locale         TEXT NOT NULL,
    cadence        TEXT NOT NULL CHECK (cadence IN ('at_once', 'weekly')),
    state          TEXT NOT NULL CHECK (state IN ('pending', 'confirmed')),
    token_hash     TEXT UNIQUE,
    created_at     BIGINT NOT NULL,
    last_mailed_at BIGINT NOT NULL,
    confirmed_at   BIGINT,
    -- A weekly digest tells what was announced after this moment, and
    -- goes a week after the last one (or the confirmation) at the soonest.
    digest_from    BIGINT,
    last_digest_at BIGINT,
    UNIQUE (person_id, email_hash)
);
CREATE INDEX follows_address ON follows (email_hash);
CREATE INDEX follows_digest ON follows (cadence, state, last_digest_at);

-- When an update's first publication was mailed to those who asked for news
-- (what a weekly digest gathers): not when it was only counted as announced
-- (`notified_at`: a trusted feed's entry, a case not public then), which no
-- mail told.
ALTER TABLE status_events ADD COLUMN announced_at BIGINT;
