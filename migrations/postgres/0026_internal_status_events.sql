-- A status event staff keep for themselves (issue 29): a fact that would
-- endanger the person if it were known (a transfer, a family's contact).
-- Shown to staff, never published: not on any page, in the API, CSV,
-- feeds, mails or embeds, which all read published events only.
ALTER TABLE status_events ADD COLUMN is_internal BOOLEAN NOT NULL DEFAULT FALSE;
