-- Second factors of staff accounts (issue 28). A time-based code (RFC 6238)
-- from an authenticator app: its secret is sealed with the data key (the
-- server must read it to check a code, and a copy of the database must not
-- give it away), and each time step is accepted once. One-time recovery
-- codes, stored as SHA-256 only, for a lost phone.
CREATE TABLE staff_totp (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    -- NULL while being set up: a code must be given once before it counts.
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE staff_recovery_codes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX staff_recovery_codes_user ON staff_recovery_codes (user_id);

-- Administrators and council members always need a second factor; an
-- administrator may require one of a communications staff member too.
ALTER TABLE users ADD COLUMN second_factor_required BOOLEAN NOT NULL DEFAULT FALSE;

-- A session opened by a password, waiting for the code: it opens nothing else.
ALTER TABLE sessions ADD COLUMN second_factor_pending BOOLEAN NOT NULL DEFAULT FALSE;
