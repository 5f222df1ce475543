-- A municipality that stops campaigning for a person ends its adoption
-- (issue 28, N6): the adoption stays on record, dated "from … to …", and the
-- municipality no longer holds the case. A date known to the year, month or
-- day, as the adoption's own; all three NULL while the adoption lasts.
ALTER TABLE adoptions ADD COLUMN ended_year INTEGER;
ALTER TABLE adoptions ADD COLUMN ended_month INTEGER;
ALTER TABLE adoptions ADD COLUMN ended_day INTEGER;
