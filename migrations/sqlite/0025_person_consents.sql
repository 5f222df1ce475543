-- What the person at risk (or their family, or Amnesty's section) agreed to
-- be published, the risk as staff assess it, and when to look again
-- (issue 29). One row per person, the current record; the audit log keeps
-- every earlier one. Staff only: nothing here is ever public.
CREATE TABLE person_consents (
    person_id        INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    given_by         TEXT NOT NULL CHECK (given_by IN ('person', 'family', 'amnesty-section', 'public-sources')),
    given_on         DATE NOT NULL,
    covers_name      BOOLEAN NOT NULL,
    covers_portrait  BOOLEAN NOT NULL,
    covers_story     BOOLEAN NOT NULL,
    covers_location  BOOLEAN NOT NULL,
    note             TEXT,
    risk             TEXT NOT NULL CHECK (risk IN ('unassessed', 'low', 'medium', 'high')),
    review_on        DATE NOT NULL,
    -- The review date the reminder went out for: one mail per date set.
    reminded_for     DATE,
    recorded_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_at      INTEGER NOT NULL
);
CREATE INDEX person_consents_review ON person_consents (review_on);

-- No consent is on record for anyone yet: whoever was public goes private
-- until their council records what was agreed (when in doubt, hide; the
-- staff list shows each as "None on record").
UPDATE persons SET is_public = FALSE;
