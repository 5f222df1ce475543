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

CREATE TRIGGER countries_insert_changes_content AFTER INSERT ON countries
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER countries_update_changes_content AFTER UPDATE ON countries
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER countries_delete_changes_content AFTER DELETE ON countries
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER rights_categories_insert_changes_content AFTER INSERT ON rights_categories
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER rights_categories_update_changes_content AFTER UPDATE ON rights_categories
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER rights_categories_delete_changes_content AFTER DELETE ON rights_categories
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipalities_insert_changes_content AFTER INSERT ON municipalities
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipalities_update_changes_content AFTER UPDATE ON municipalities
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipalities_delete_changes_content AFTER DELETE ON municipalities
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_translations_insert_changes_content AFTER INSERT ON municipality_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_translations_update_changes_content AFTER UPDATE ON municipality_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_translations_delete_changes_content AFTER DELETE ON municipality_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_languages_insert_changes_content AFTER INSERT ON municipality_languages
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_languages_update_changes_content AFTER UPDATE ON municipality_languages
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER municipality_languages_delete_changes_content AFTER DELETE ON municipality_languages
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER persons_insert_changes_content AFTER INSERT ON persons
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER persons_update_changes_content AFTER UPDATE ON persons
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER persons_delete_changes_content AFTER DELETE ON persons
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_aliases_insert_changes_content AFTER INSERT ON person_aliases
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_aliases_update_changes_content AFTER UPDATE ON person_aliases
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_aliases_delete_changes_content AFTER DELETE ON person_aliases
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_translations_insert_changes_content AFTER INSERT ON person_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_translations_update_changes_content AFTER UPDATE ON person_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_translations_delete_changes_content AFTER DELETE ON person_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_rights_insert_changes_content AFTER INSERT ON person_rights
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_rights_update_changes_content AFTER UPDATE ON person_rights
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER person_rights_delete_changes_content AFTER DELETE ON person_rights
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER adoptions_insert_changes_content AFTER INSERT ON adoptions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER adoptions_update_changes_content AFTER UPDATE ON adoptions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER adoptions_delete_changes_content AFTER DELETE ON adoptions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_events_insert_changes_content AFTER INSERT ON status_events
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_events_update_changes_content AFTER UPDATE ON status_events
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_events_delete_changes_content AFTER DELETE ON status_events
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_event_translations_insert_changes_content AFTER INSERT ON status_event_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_event_translations_update_changes_content AFTER UPDATE ON status_event_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER status_event_translations_delete_changes_content AFTER DELETE ON status_event_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_actions_insert_changes_content AFTER INSERT ON support_actions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_actions_update_changes_content AFTER UPDATE ON support_actions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_actions_delete_changes_content AFTER DELETE ON support_actions
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_action_translations_insert_changes_content AFTER INSERT ON support_action_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_action_translations_update_changes_content AFTER UPDATE ON support_action_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER support_action_translations_delete_changes_content AFTER DELETE ON support_action_translations
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER feeds_update_changes_content AFTER UPDATE OF partner ON feeds
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER feeds_delete_changes_content AFTER DELETE ON feeds
BEGIN UPDATE content_version SET version = version + 1; END;

-- Anonymising a signature (hourly, in one statement) takes a name off the
-- action's public list and a place off its breakdown.
CREATE TRIGGER signatures_anonymised_changes_content AFTER UPDATE OF anonymised ON signatures
WHEN NEW.anonymised AND NOT OLD.anonymised
BEGIN UPDATE content_version SET version = version + 1; END;
