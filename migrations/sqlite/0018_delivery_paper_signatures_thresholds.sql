-- Issue 16: a support action's signatures, handed over. One delivery per
-- action; recording it closes the action for good (it cannot be reopened),
-- and a correction rewrites it, audited. The recipient and the note are
-- written in one language, `language`, shown with it where it differs.
-- `signatures` (confirmed online) and `paper_signatures` are the counts
-- handed over, taken when the delivery is recorded: a signer who withdraws
-- afterwards does not change what was delivered.
CREATE TABLE deliveries (
    action_id    INTEGER PRIMARY KEY REFERENCES support_actions (id) ON DELETE CASCADE,
    delivered_on DATE NOT NULL,
    recipient    TEXT NOT NULL,
    method       TEXT NOT NULL CHECK (method IN ('letter', 'meeting', 'embassy', 'email')),
    note_html    TEXT,
    language     TEXT NOT NULL,
    proof_url    TEXT,
    -- The day after which no answer is news: "no answer by …".
    answer_by    DATE,
    -- The status event that put the delivery on the person's timeline.
    status_event_id INTEGER REFERENCES status_events (id) ON DELETE SET NULL,
    signatures   BIGINT NOT NULL CHECK (signatures >= 0),
    paper_signatures BIGINT NOT NULL CHECK (paper_signatures >= 0),
    recorded_at  BIGINT NOT NULL
);

CREATE TRIGGER deliveries_insert_changes_content AFTER INSERT ON deliveries
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER deliveries_update_changes_content AFTER UPDATE ON deliveries
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER deliveries_delete_changes_content AFTER DELETE ON deliveries
BEGIN UPDATE content_version SET version = version + 1; END;

-- Signatures collected on paper, recorded by the batch: how many, when,
-- where, and where the sheets are kept (for staff: the sheets themselves
-- hold the names, which are never stored here). They count with the
-- confirmed online signatures. A batch is corrected or removed, audited.
CREATE TABLE paper_batches (
    id           INTEGER PRIMARY KEY,
    action_id    INTEGER NOT NULL REFERENCES support_actions (id) ON DELETE CASCADE,
    signatures   BIGINT NOT NULL CHECK (signatures > 0),
    collected_on DATE NOT NULL,
    place        TEXT NOT NULL,
    kept_at      TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
CREATE INDEX paper_batches_action ON paper_batches (action_id);

CREATE TRIGGER paper_batches_insert_changes_content AFTER INSERT ON paper_batches
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER paper_batches_update_changes_content AFTER UPDATE ON paper_batches
BEGIN UPDATE content_version SET version = version + 1; END;
CREATE TRIGGER paper_batches_delete_changes_content AFTER DELETE ON paper_batches
BEGIN UPDATE content_version SET version = version + 1; END;

-- An action's threshold: at this count (confirmed online and on paper) the
-- staff of its municipality are told, once, that it is time to deliver.
-- The notice row is written in the transaction that made the count reach
-- it, with the mail; setting another threshold deletes it. A table of its
-- own, not a column of support_actions: a confirmation that writes it must
-- not take the render cache's counter (support_actions is watched), which
-- writers of watched tables take before the action's row.
ALTER TABLE support_actions ADD COLUMN threshold BIGINT CHECK (threshold > 0);
CREATE TABLE threshold_notices (
    action_id  INTEGER PRIMARY KEY REFERENCES support_actions (id) ON DELETE CASCADE,
    reached_at BIGINT NOT NULL
);
