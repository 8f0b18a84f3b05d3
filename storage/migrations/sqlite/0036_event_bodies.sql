-- A webhook's body apart from its event's state: applying a batch marks its
-- events done in the transaction that acknowledging webhooks waits behind,
-- and SQLite rewrites a whole row, its 20 KB body included, when an update
-- changes the row's size. Bodies are written once and never updated.
CREATE TABLE event_bodies (
	seq  INTEGER PRIMARY KEY REFERENCES events (seq),
	body BLOB NOT NULL
) STRICT;
INSERT INTO event_bodies (seq, body) SELECT seq, body FROM events;
ALTER TABLE events DROP COLUMN body;
