-- "Keep me informed" mail stops with one click. Each update mail carries its
-- own link (only the token's SHA-256 is kept here), so a link in an older
-- mail keeps working. A link stops news about one person to one address, on
-- every action for the person the address signed; it goes (retention) when
-- no signature of that address for that person keeps its personal data.
CREATE TABLE unsubscribe_links (
    token_hash      TEXT PRIMARY KEY,
    person_id       BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    canonical_email TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX unsubscribe_links_address ON unsubscribe_links (canonical_email, person_id);

-- Mail clients offer "unsubscribe" from these headers (RFC 2369, RFC 8058):
-- the one-click address, kept with the mail until it is delivered.
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
