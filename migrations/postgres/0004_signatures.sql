-- Signatures of support actions. Only confirmed ones count. The email is kept
-- canonical (lowercase, without a +tag) so that one person signs once.
CREATE TABLE signatures (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id         BIGINT NOT NULL REFERENCES support_actions (id) ON DELETE CASCADE,
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
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at      TIMESTAMPTZ,
    UNIQUE (action_id, canonical_email)
);
CREATE INDEX signatures_action_state ON signatures (action_id, state);
