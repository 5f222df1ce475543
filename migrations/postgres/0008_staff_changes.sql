-- Every staff change is written here in the same transaction as the change:
-- who (NULL: the command line), when (Unix seconds), what, which record, and
-- the record as JSON before and after (NULL when it did not exist / no longer does).
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT REFERENCES users (id),
    at          BIGINT NOT NULL,
    action      TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id, id);

-- Who wrote a status update, when it was first published, and when its
-- signers were mailed (once, even if it is unpublished and published again).
ALTER TABLE status_events ADD COLUMN author_id BIGINT REFERENCES users (id);
ALTER TABLE status_events ADD COLUMN published_at BIGINT;
ALTER TABLE status_events ADD COLUMN notified_at BIGINT;
-- Last change of its content or publication, for feeds' updated times.
ALTER TABLE status_events ADD COLUMN updated_at BIGINT;
-- Events published before this migration (the demo data) count as published
-- and updated now, and as already announced: nobody is mailed about them.
UPDATE status_events SET published_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), updated_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), notified_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
 WHERE is_published;

-- A staff form that failed validation comes back with what was typed and why;
-- kept with the session (no size limit, unlike a cookie, and shared by instances).
ALTER TABLE sessions ADD COLUMN flash TEXT;
