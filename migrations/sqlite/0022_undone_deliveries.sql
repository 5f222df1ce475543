-- A delivery an administrator undid (issue 28, N3): its timeline event is
-- withdrawn (unpublished) and remembered here, so that the delivery recorded
-- again later does not mail the signers a second time.
ALTER TABLE support_actions ADD COLUMN undone_delivery_event_id INTEGER REFERENCES status_events (id) ON DELETE SET NULL;
