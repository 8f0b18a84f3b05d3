-- Webhook events exactly as received. Nothing acknowledged is ever deleted.
CREATE TABLE events (
	seq          INTEGER PRIMARY KEY,
	event_id     TEXT NOT NULL UNIQUE,
	event_type   TEXT NOT NULL,
	body         BLOB NOT NULL,
	received_at  INTEGER NOT NULL,            -- Unix ms
	state        TEXT NOT NULL DEFAULT 'pending', -- pending | done | failed
	attempts     INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	resolved     BLOB,                        -- payload fetched from a signed data URL
	processed_at INTEGER
) STRICT;
CREATE INDEX events_pending ON events (seq) WHERE state = 'pending';
CREATE INDEX events_failed ON events (seq) WHERE state = 'failed';

CREATE TABLE workflows (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	version    TEXT NOT NULL DEFAULT '',
	deleted    INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL
) STRICT;

-- One row per workflow run, with the summary the queue needs in columns and
-- the run as Extend sent it last in payload.
CREATE TABLE runs (
	id             TEXT PRIMARY KEY,
	workflow_id    TEXT NOT NULL DEFAULT '',
	workflow_name  TEXT NOT NULL DEFAULT '',
	api_version    TEXT NOT NULL,
	status         TEXT NOT NULL,
	file_name      TEXT NOT NULL DEFAULT '',
	file_type      TEXT NOT NULL DEFAULT '',
	page_count     INTEGER NOT NULL DEFAULT 0,
	min_confidence REAL,
	payload        BLOB NOT NULL,
	queued_at      INTEGER,                   -- when it first needed review
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX runs_queue ON runs (queued_at, id) WHERE status = 'NEEDS_REVIEW';
CREATE INDEX runs_workflow ON runs (workflow_id, updated_at);

-- Processor run ids (exr_, dpr_, clr_, splr_) to the run that holds them.
CREATE TABLE run_outputs (
	output_id TEXT PRIMARY KEY,
	run_id    TEXT NOT NULL REFERENCES runs (id)
) STRICT;

-- Step results delivered one at a time (workflow_run.step_run.processed),
-- possibly before the run itself arrives.
CREATE TABLE step_runs (
	id         TEXT PRIMARY KEY,
	run_id     TEXT NOT NULL,
	step_type  TEXT NOT NULL DEFAULT '',
	body       BLOB NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX step_runs_run ON step_runs (run_id);

-- Documents. blob is the SHA-256 of the bytes in the blob store, once fetched.
CREATE TABLE files (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	type            TEXT NOT NULL DEFAULT '',
	blob            TEXT NOT NULL DEFAULT '',
	size            INTEGER NOT NULL DEFAULT 0,
	state           TEXT NOT NULL DEFAULT 'pending', -- pending | fetched | failed
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	error           TEXT NOT NULL DEFAULT '',
	updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX files_due ON files (next_attempt_at) WHERE state = 'pending';

CREATE TABLE run_files (
	run_id   TEXT NOT NULL REFERENCES runs (id),
	file_id  TEXT NOT NULL REFERENCES files (id),
	position INTEGER NOT NULL,
	PRIMARY KEY (run_id, file_id)
) STRICT;
CREATE INDEX run_files_file ON run_files (file_id);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

-- Server-side sessions: the cookie holds only the id, so signing out or
-- disabling a user ends a session everywhere at once.
CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL,
	role         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,        -- SHA-256 of the token
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
