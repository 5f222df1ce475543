-- A person's portrait (issue 29), optional. Uploaded by staff, decoded and
-- encoded anew on the server, so that nothing of the uploaded file but its
-- pixels survives (no EXIF, GPS, XMP, ICC profile or comment); kept here, in
-- the database, so that every instance and every backup has it. Shown only
-- while the person is public and their consent covers "portrait"; a
-- take-down deletes it.
CREATE TABLE portraits (
    person_id   INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    uploaded_at BIGINT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);

-- The portrait in a few widths, each addressed by the hash of its bytes:
-- its address never changes, and browsers keep it.
CREATE TABLE portrait_files (
    person_id BIGINT NOT NULL REFERENCES portraits (person_id) ON DELETE CASCADE,
    width     BIGINT NOT NULL,
    height    BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (person_id, width)
);
CREATE INDEX portrait_files_hash ON portrait_files (hash);

-- What the portrait shows, for those who cannot see it: written in each
-- language its municipalities require.
CREATE TABLE portrait_alt_texts (
    person_id BIGINT NOT NULL REFERENCES portraits (person_id) ON DELETE CASCADE,
    language  TEXT NOT NULL,
    alt_text  TEXT NOT NULL,
    PRIMARY KEY (person_id, language)
);

CREATE TRIGGER portraits_insert_changes_content AFTER INSERT ON portraits
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portraits_update_changes_content AFTER UPDATE ON portraits
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portraits_delete_changes_content AFTER DELETE ON portraits
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_files_insert_changes_content AFTER INSERT ON portrait_files
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_files_update_changes_content AFTER UPDATE ON portrait_files
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_files_delete_changes_content AFTER DELETE ON portrait_files
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_alt_texts_insert_changes_content AFTER INSERT ON portrait_alt_texts
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_alt_texts_update_changes_content AFTER UPDATE ON portrait_alt_texts
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER portrait_alt_texts_delete_changes_content AFTER DELETE ON portrait_alt_texts
BEGIN UPDATE content_version SET version = version + 1; END;
