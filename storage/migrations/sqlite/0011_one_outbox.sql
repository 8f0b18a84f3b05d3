-- One outbox: decisions' deliveries to destinations and calls to Extend's
-- API wait in one table, told apart by kind, with one table of attempts,
-- drained by one worker loop with one backoff. Every row is carried over:
-- deliveries keep their ids (their attempts follow them), calls are
-- numbered after them.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	kind            TEXT NOT NULL,                          -- delivery | extend_call
	run_id          TEXT NOT NULL,
	destination_id  INTEGER REFERENCES destinations (id),   -- a delivery's
	event_id        TEXT NOT NULL DEFAULT '',
	event_type      TEXT NOT NULL DEFAULT '',
	api_version     TEXT NOT NULL DEFAULT '',               -- an Extend call's
	path            TEXT NOT NULL DEFAULT '',
	body            BLOB NOT NULL,
	state           TEXT NOT NULL DEFAULT 'pending',        -- pending | delivered | dead
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER
) STRICT;
INSERT INTO outbox (id, kind, run_id, destination_id, event_id, event_type, body, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at)
	SELECT id, 'delivery', run_id, destination_id, event_id, event_type, body, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at FROM deliveries;
INSERT INTO outbox (id, kind, run_id, api_version, path, body, state, attempts, next_attempt_at, last_status, last_error, created_at)
	SELECT id + coalesce((SELECT max(id) FROM deliveries), 0), 'extend_call', run_id, api_version, path, body, state, attempts, next_attempt_at, last_status, last_error, created_at FROM extend_calls;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_line ON outbox (kind, run_id, destination_id, id);

CREATE TABLE outbox_attempts (
	item_id INTEGER NOT NULL REFERENCES outbox (id),
	at      INTEGER NOT NULL,
	status  INTEGER NOT NULL,
	snippet TEXT NOT NULL DEFAULT '',
	error   TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO outbox_attempts (item_id, at, status, snippet, error) SELECT delivery_id, at, status, snippet, error FROM delivery_attempts;
CREATE INDEX outbox_attempts_item ON outbox_attempts (item_id);

DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE extend_calls;
