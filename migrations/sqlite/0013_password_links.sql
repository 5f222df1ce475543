-- One-time links by which staff choose their password: mailed when an
-- administrator opens an account or resets it, or when the owner asks (a
-- forgotten password, or an account locked by someone else's guesses).
-- The mail holds a random token; only its SHA-256 is stored. A link works
-- once, for 24 hours; using one removes every link of the account.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('welcome', 'reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id, created_at);
