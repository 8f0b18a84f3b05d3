-- Where decisions are sent, and the outbox: a delivery is written in the
-- same transaction as the decision it carries, so none is ever lost.
CREATE TABLE destinations (
	id            INTEGER PRIMARY KEY,
	url           TEXT NOT NULL,
	secret        TEXT NOT NULL,
	events        TEXT NOT NULL DEFAULT '',   -- comma-separated event types; '' = all
	workflows     TEXT NOT NULL DEFAULT '',   -- comma-separated workflow ids; '' = all
	allow_private INTEGER NOT NULL DEFAULT 0, -- may reach private and loopback addresses
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	destination_id  INTEGER NOT NULL REFERENCES destinations (id),
	run_id          TEXT NOT NULL,
	event_id        TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	body            BLOB NOT NULL,
	state           TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | dead
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_run ON deliveries (destination_id, run_id, id);

CREATE TABLE delivery_attempts (
	delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
	at          INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	snippet     TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
