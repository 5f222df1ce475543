-- The render cache's change counter (issue 14). Public pages are served from
-- a cache of rendered responses; each request reads this one number, and an
-- entry made under another number is rendered again. Triggers bump it with
-- every change to what public pages show, whoever writes (any instance, the
-- command line), in the writing transaction: a reader sees the new number
-- and the new rows together, never one without the other.
--
-- Not watched, on purpose: signing and confirming (counts on cached pages
-- are at most a second old instead; a row every signer updates would
-- serialise signing; anonymisation is watched, below),
-- the outbox, sessions, users, the audit log, the feeds' fetch state and
-- their entries (only a feed's partner name is shown, with the events that
-- came from it), requests and links: none of them is shown on a public page.
CREATE TABLE content_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 0);

-- Once per statement, not per row: a statement that writes a thousand rows
-- bumps the number once. Before the statement: a writer takes the counter's
-- row lock before any row of a watched table, so two writers wait for each other in
-- one order instead of deadlocking (one holding a person, wanting the
-- counter; the other holding the counter, wanting that person).
CREATE FUNCTION note_content_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER countries_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON countries
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER rights_categories_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON rights_categories
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER municipalities_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipalities
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER municipality_translations_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipality_translations
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER municipality_languages_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipality_languages
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER persons_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON persons
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER person_aliases_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON person_aliases
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER person_translations_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON person_translations
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER person_rights_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON person_rights
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER adoptions_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoptions
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER status_events_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON status_events
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER status_event_translations_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON status_event_translations
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER support_actions_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON support_actions
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER support_action_translations_changes_content BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON support_action_translations
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();
CREATE TRIGGER feeds_changes_content BEFORE UPDATE OF partner OR DELETE ON feeds
    FOR EACH STATEMENT EXECUTE FUNCTION note_content_change();

-- Anonymising a signature (hourly, in one statement) takes a name off the
-- action's public list and a place off its breakdown. Per row, to fire only
-- when one was anonymised: the hourly pass mostly finds none.
CREATE TRIGGER signatures_anonymised_changes_content AFTER UPDATE OF anonymised ON signatures
    FOR EACH ROW WHEN (NEW.anonymised AND NOT OLD.anonymised)
    EXECUTE FUNCTION note_content_change();
