-- Content in every language of the network. Each record keeps its text in
-- the language it was written in (`original_language`); a translation into
-- another language is a row of the record's translation table, one per field
-- and language. Existing content was written in English.
--
-- One table per kind of record rather than one for all: a foreign key keeps
-- a translation with its record (deleted with it; SQLite may give a deleted
-- record's id to the next one). Rows rather than per-language columns: a
-- language added to the network is a value, not a migration of every table.
--
-- `source_text` is the original's text when the translation was written:
-- once the original changes, the translation is outdated (still shown, and
-- listed for review with what changed).
ALTER TABLE persons ADD COLUMN original_language TEXT NOT NULL DEFAULT 'en' CHECK (original_language IN ('en', 'fr', 'nl'));
ALTER TABLE status_events ADD COLUMN original_language TEXT NOT NULL DEFAULT 'en' CHECK (original_language IN ('en', 'fr', 'nl'));
ALTER TABLE support_actions ADD COLUMN original_language TEXT NOT NULL DEFAULT 'en' CHECK (original_language IN ('en', 'fr', 'nl'));
ALTER TABLE municipalities ADD COLUMN original_language TEXT NOT NULL DEFAULT 'en' CHECK (original_language IN ('en', 'fr', 'nl'));

CREATE TABLE person_translations (
    person_id     BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    field         TEXT NOT NULL CHECK (field IN ('summary')),
    language      TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    text          TEXT NOT NULL,
    source_text   TEXT NOT NULL,
    translated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (person_id, field, language)
);

CREATE TABLE status_event_translations (
    status_event_id BIGINT NOT NULL REFERENCES status_events (id) ON DELETE CASCADE,
    field           TEXT NOT NULL CHECK (field IN ('title', 'body_html', 'source_title')),
    language        TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    text            TEXT NOT NULL,
    source_text     TEXT NOT NULL,
    translated_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (status_event_id, field, language)
);

CREATE TABLE support_action_translations (
    support_action_id BIGINT NOT NULL REFERENCES support_actions (id) ON DELETE CASCADE,
    field             TEXT NOT NULL CHECK (field IN ('title', 'body_html', 'addressee')),
    language          TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    text              TEXT NOT NULL,
    source_text       TEXT NOT NULL,
    translated_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (support_action_id, field, language)
);

CREATE TABLE municipality_translations (
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE CASCADE,
    field           TEXT NOT NULL CHECK (field IN ('name')),
    language        TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    text            TEXT NOT NULL,
    source_text     TEXT NOT NULL,
    translated_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, field, language)
);

-- The languages a municipality works in: the required ones must be filled
-- before a case it adopted is published (Brussels: French and Dutch).
CREATE TABLE municipality_languages (
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE CASCADE,
    language        TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    required        BOOLEAN NOT NULL,
    PRIMARY KEY (municipality_id, language)
);

-- Partner feeds: an entry's language is the one its feed gives (Atom
-- xml:lang, RSS <language>, JSON Feed language), else the language staff
-- chose when following the feed. Publishing an entry stores its text as the
-- original in that language.
ALTER TABLE feeds ADD COLUMN default_language TEXT NOT NULL DEFAULT 'en' CHECK (default_language IN ('en', 'fr', 'nl'));
ALTER TABLE feed_entries ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr', 'nl'));
