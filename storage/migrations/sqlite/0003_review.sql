-- The review of a run: a draft saved with every change, a version that
-- stops a stale tab or a second reviewer from overwriting silently, the
-- decision, and an append-only audit trail.
ALTER TABLE runs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN decision TEXT NOT NULL DEFAULT '';        -- '' | approved | rejected
ALTER TABLE runs ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN decided_at INTEGER;
ALTER TABLE runs ADD COLUMN rejection_note TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN reviewed_payload BLOB;                    -- the run as sent on, review applied
ALTER TABLE runs ADD COLUMN last_editor TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN last_edit_at INTEGER;

CREATE TABLE drafts (
	run_id     TEXT NOT NULL REFERENCES runs (id),
	output_id  TEXT NOT NULL,
	path       TEXT NOT NULL,
	value      BLOB NOT NULL,
	refs       BLOB,                      -- JSON [{fileId, page, rect, text}] when re-pointed
	how        TEXT NOT NULL,
	seq        INTEGER NOT NULL,          -- order of saving
	PRIMARY KEY (run_id, output_id, path)
) STRICT;

CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	run_id    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,              -- edit | reset | approve | reject | reopen
	output_id TEXT NOT NULL DEFAULT '',
	path      TEXT NOT NULL DEFAULT '',
	before    BLOB,
	after     BLOB,
	how       TEXT NOT NULL DEFAULT '',
	note      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_run ON audit (run_id, id);

-- The append-only rule, kept by the database itself.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
