-- A take-down (issue 29): when the risk to a person changes suddenly, a
-- council member of an adopting municipality (or an administrator) takes
-- the case down. The person is private from then on, and their pages,
-- actions, embeds and badges answer 410 Gone with a neutral text; our feeds
-- carry a tombstone for each entry about them (RFC 6721). The reason is for
-- staff only. An administrator may undo it; the person then stays private.
ALTER TABLE persons ADD COLUMN taken_down_at BIGINT;
ALTER TABLE persons ADD COLUMN takedown_reason TEXT;

-- The person a queued mail is about, if any: a take-down drops the unsent
-- ones, and the sender never sends one about a person taken down.
ALTER TABLE outbox ADD COLUMN person_id BIGINT;
CREATE INDEX outbox_person ON outbox (person_id) WHERE person_id IS NOT NULL AND sent_at IS NULL;

-- On a following instance: when the partner's feed said (by a tombstone)
-- that it took an entry down. The entry leaves the inbox, and an update
-- made from it is no longer published.
ALTER TABLE feed_entries ADD COLUMN withdrawn_at BIGINT;
