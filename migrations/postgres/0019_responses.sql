-- Issue 16: the addressee's response to a delivered action. Its summary
-- and full text are written per language: the original's row and a row per
-- translation in response_texts. notified_at claims the one mail to the
-- signers who asked to be kept informed. Where no response is recorded and
-- the delivery's answer_by has passed, pages say so: silence is news too.
CREATE TABLE responses (
    action_id         BIGINT PRIMARY KEY REFERENCES deliveries (action_id) ON DELETE CASCADE,
    responded_on      DATE NOT NULL,
    original_language TEXT NOT NULL,
    source_url        TEXT,
    recorded_at       BIGINT NOT NULL,
    notified_at       BIGINT
);

CREATE TABLE response_texts (
    action_id BIGINT NOT NULL REFERENCES responses (action_id) ON DELETE CASCADE,
    language  TEXT NOT NULL,
    summary   TEXT NOT NULL,
    body_html TEXT,
    PRIMARY KEY (action_id, language)
);

CREATE TRIGGER responses_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON responses
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER response_texts_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON response_texts
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
