-- Feeding reviews back to Extend, per workflow: approved corrections as
-- evaluation-set items, and the review state mirrored into the run's
-- metadata. Calls wait in this outbox, written with the decision.
CREATE TABLE feedback_rules (
	workflow_id       TEXT PRIMARY KEY,
	evaluation_set_id TEXT NOT NULL DEFAULT '',
	mirror_metadata   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE extend_calls (
	id              INTEGER PRIMARY KEY,
	run_id          TEXT NOT NULL,
	api_version     TEXT NOT NULL,
	path            TEXT NOT NULL,             -- e.g. /evaluation_sets/es_1/items
	body            BLOB NOT NULL,
	state           TEXT NOT NULL DEFAULT 'pending',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX extend_calls_due ON extend_calls (next_attempt_at) WHERE state = 'pending';
