-- Staff accounts. Council members act for one municipality; administrators
-- and communications staff for the whole site. Only an argon2id hash of the
-- password is kept. A disabled account keeps its history (the audit log
-- points at it) but can no longer log in.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'council', 'comms')),
    municipality_id INTEGER REFERENCES municipalities (id),
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    CHECK ((role = 'council') = (municipality_id IS NOT NULL))
);
