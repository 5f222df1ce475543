-- Passkeys (WebAuthn) as a second factor of staff accounts (issue 28). What
-- is kept is the credential's public key and signature counter, as
-- webauthn-rs serialises them: nothing that opens anything in a copy.
CREATE TABLE staff_passkeys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- base64url, as browsers give it: one credential, one account.
    credential_id TEXT NOT NULL UNIQUE,
    -- The owner's word for it ("work laptop"), to tell several apart.
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX staff_passkeys_user ON staff_passkeys (user_id);

-- The WebAuthn user handle: random, so that an authenticator does not learn
-- the account's row number; made with the account's first passkey.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;

-- A ceremony under way in this session (a passkey being added, or a login
-- asking for one): webauthn-rs's state, finished by whichever instance the
-- answer reaches, and only once.
ALTER TABLE sessions ADD COLUMN webauthn_state TEXT;
