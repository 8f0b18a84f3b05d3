-- A webhook's body apart from its event's state, as on SQLite (where
-- marking an event done rewrote its 20 KB body): here an update writes a
-- new version of the row, its body too when it is stored inline.
CREATE TABLE event_bodies (
	seq  BIGINT PRIMARY KEY REFERENCES events (seq),
	body BYTEA NOT NULL
);
INSERT INTO event_bodies (seq, body) SELECT seq, body FROM events;
ALTER TABLE events DROP COLUMN body;
