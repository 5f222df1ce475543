-- A support action belongs to the municipality that opened it: only its
-- council (or an administrator) edits, closes or exports it. Existing
-- actions go to the person's earliest adopter.
ALTER TABLE support_actions ADD COLUMN municipality_id INTEGER REFERENCES municipalities (id);
UPDATE support_actions SET municipality_id = (
    SELECT a.municipality_id FROM adoptions a WHERE a.person_id = support_actions.person_id
     ORDER BY a.adopted_year, COALESCE(a.adopted_month, 0), COALESCE(a.adopted_day, 0), a.municipality_id
     LIMIT 1);

-- Adopting a person another municipality adopted, or one that is not public,
-- is a request an administrator approves (the adoption is then written) or
-- refuses. One pending request per person and municipality.
CREATE TABLE adoption_requests (
    id                 INTEGER PRIMARY KEY,
    person_id          INTEGER NOT NULL REFERENCES persons (id),
    municipality_id    INTEGER NOT NULL REFERENCES municipalities (id),
    requested_by       INTEGER REFERENCES users (id),
    requested_at       BIGINT NOT NULL,
    adopted_year       INTEGER NOT NULL,
    adopted_month      INTEGER,
    adopted_day        INTEGER,
    decision_reference TEXT,
    note               TEXT,
    state              TEXT NOT NULL DEFAULT 'pending',
    decided_by         INTEGER REFERENCES users (id),
    decided_at         BIGINT
);
CREATE UNIQUE INDEX adoption_requests_pending ON adoption_requests (person_id, municipality_id) WHERE state = 'pending';
CREATE INDEX adoption_requests_state ON adoption_requests (state, id);
