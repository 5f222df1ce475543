-- Issue 16: the addressee's response to a delivered action. Its summary
-- and full text are written per language: the original's row and a row per
-- translation in response_texts. notified_at claims the one mail to the
-- signers who asked to be kept informed. Where no response is recorded and
-- the delivery's answer_by has passed, pages say so: silence is news too.
CREATE TABLE responses (
    action_id         INTEGER PRIMARY KEY REFERENCES deliveries (action_id) ON DELETE CASCADE,
    responded_on      DATE NOT NULL,
    original_language TEXT NOT NULL,
    source_url        TEXT,
    recorded_at       BIGINT NOT NULL,
    notified_at       BIGINT
);

CREATE TABLE response_texts (
    action_id INTEGER NOT NULL REFERENCES responses (action_id) ON DELETE CASCADE,
    language  TEXT NOT NULL,
    summary   TEXT NOT NULL,
    body_html TEXT,
    PRIMARY KEY (action_id, language)
);

CREATE TRIGGER responses_insert_changes_content AFTER INSERT ON responses
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER responses_update_changes_content AFTER UPDATE ON responses
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER responses_delete_changes_content AFTER DELETE ON responses
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER response_texts_insert_changes_content AFTER INSERT ON response_texts
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER response_texts_update_changes_content AFTER UPDATE ON response_texts
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER response_texts_delete_changes_content AFTER DELETE ON response_texts
BEGIN UPDATE content_version SET version = version + 1; END;
