-- Signatures of support actions and the mail outbox. Only confirmed signatures
-- count. The email is kept canonical (lowercase, without a +tag) so that one
-- person signs once. Times are Unix seconds: the same type on both backends.
CREATE TABLE signatures (
    id                INTEGER PRIMARY KEY,
    action_id         INTEGER NOT NULL REFERENCES support_actions (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    canonical_email   TEXT NOT NULL,
    place             TEXT,
    country_code      TEXT REFERENCES countries (code),
    show_name         BOOLEAN NOT NULL DEFAULT FALSE,
    keep_informed     BOOLEAN NOT NULL DEFAULT FALSE,
    locale            TEXT NOT NULL DEFAULT 'en',
    -- Only a hash of the emailed token is stored.
    token_hash        TEXT NOT NULL UNIQUE,
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'withdrawn')),
    created_at        BIGINT NOT NULL,
    last_mailed_at    BIGINT NOT NULL,
    confirmed_at      BIGINT,
    UNIQUE (action_id, canonical_email)
);
CREATE INDEX signatures_action_state ON signatures (action_id, state);

-- Mail waiting to be sent. A row is written in the same transaction as what
-- it announces, so an acknowledged request never loses its mail.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
