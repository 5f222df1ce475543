-- A field of a person staff keep for themselves (issue 29): the country
-- (where they are, or are held) or the summary (their story), when being
-- known would endanger them. Kept and shown to staff, never published:
-- every public read (pages, API, CSV, JSON-LD, filters) leaves it out, and
-- consent is asked only for what is published.
ALTER TABLE persons ADD COLUMN country_internal BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE persons ADD COLUMN summary_internal BOOLEAN NOT NULL DEFAULT FALSE;
