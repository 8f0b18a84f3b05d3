-- Outbox attempts get an id of their own (the newest attempt was found by
-- SQLite's rowid, which PostgreSQL has not), so one query serves both.
CREATE TABLE outbox_attempts_new (
	id      INTEGER PRIMARY KEY,
	item_id INTEGER NOT NULL REFERENCES outbox (id),
	at      INTEGER NOT NULL,
	status  INTEGER NOT NULL,
	snippet TEXT NOT NULL DEFAULT '',
	error   TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO outbox_attempts_new (id, item_id, at, status, snippet, error) SELECT rowid, item_id, at, status, snippet, error FROM outbox_attempts;
DROP TABLE outbox_attempts;
ALTER TABLE outbox_attempts_new RENAME TO outbox_attempts;
CREATE INDEX outbox_attempts_item ON outbox_attempts (item_id);
