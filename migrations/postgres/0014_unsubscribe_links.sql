-- "Keep me informed" mail stops with one click. Each update mail carries its
-- own link (only the token's SHA-256 is kept here), so a link in an older
-- mail keeps working; a link stops news about that person to that address.
-- The links of a signature go with its personal data (retention).
CREATE TABLE unsubscribe_links (
    token_hash   TEXT PRIMARY KEY,
    signature_id BIGINT NOT NULL REFERENCES signatures (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL
);
CREATE INDEX unsubscribe_links_signature ON unsubscribe_links (signature_id);

-- Mail clients offer "unsubscribe" from these headers (RFC 2369, RFC 8058):
-- the one-click address, kept with the mail until it is delivered.
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
