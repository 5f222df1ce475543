-- Partner feeds we follow, and what they brought. Times are Unix seconds.
-- A feed is due when next_fetch_at has passed; errors push it back
-- (exponential back-off), a 410 disables it, repeated parse failures flag it.
CREATE TABLE feeds (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url               TEXT NOT NULL UNIQUE,
    partner           TEXT NOT NULL,
    default_person_id BIGINT REFERENCES persons (id) ON DELETE SET NULL,
    -- Trusted feeds publish matched entries without review.
    trusted           BOOLEAN NOT NULL DEFAULT FALSE,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    flagged           BOOLEAN NOT NULL DEFAULT FALSE,
    etag              TEXT,
    last_modified     TEXT,
    next_fetch_at     BIGINT NOT NULL DEFAULT 0,
    error_count       INTEGER NOT NULL DEFAULT 0,
    parse_failures    INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    last_fetched_at   BIGINT,
    created_at        BIGINT NOT NULL,
    -- Staff stopped following it; its entries stay, for provenance.
    removed_at        BIGINT
);
CREATE INDEX feeds_due ON feeds (next_fetch_at) WHERE enabled;

-- One row per entry a feed ever brought, keyed stably (GUID, else link,
-- else a hash of title and date): a re-sync never stores it twice.
CREATE TABLE feed_entries (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id           BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    stable_key        TEXT NOT NULL,
    url               TEXT,
    title             TEXT NOT NULL,
    -- Sanitized HTML.
    summary_html      TEXT,
    published_at      BIGINT,
    matched_person_id BIGINT REFERENCES persons (id) ON DELETE SET NULL,
    state             TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'published', 'dismissed')),
    fetched_at        BIGINT NOT NULL,
    UNIQUE (feed_id, stable_key)
);
CREATE INDEX feed_entries_state ON feed_entries (state, id);

-- A status event that came from a feed keeps its provenance.
ALTER TABLE status_events ADD COLUMN feed_entry_id BIGINT REFERENCES feed_entries (id) ON DELETE SET NULL;
