-- Communications staff an administrator marked as translators into some
-- languages: the translation queue opens on what waits in theirs.
CREATE TABLE translator_languages (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    language TEXT NOT NULL CHECK (language IN ('en', 'fr', 'nl')),
    PRIMARY KEY (user_id, language)
);
