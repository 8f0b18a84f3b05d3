-- Duplicates: each run's key (review.DuplicateKey: its workflow's key
-- fields' values, or by default its first document's checksum), and the
-- key fields per workflow. A run shares its key with the runs it
-- duplicates; the earliest other run is found through the index.
CREATE TABLE duplicate_keys (
	workflow_id TEXT PRIMARY KEY,
	fields      TEXT NOT NULL, -- a JSON list of top-level field names
	updated_at  BIGINT NOT NULL,
	updated_by  TEXT NOT NULL
);
ALTER TABLE runs ADD COLUMN dup_key TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_dup_key ON runs (workflow_id, dup_key, created_at, id) WHERE dup_key != '';
-- The runs already here are keyed by their documents' checksums.
UPDATE runs SET dup_key = coalesce((SELECT 'sha256:' || CASE WHEN rf.blob != '' THEN rf.blob ELSE f.blob END
	FROM run_files rf JOIN files f ON f.id = rf.file_id
	WHERE rf.run_id = runs.id AND (rf.blob != '' OR f.blob != '') ORDER BY rf.position LIMIT 1), '');

-- Holds: a run waiting for review that a reviewer sent to a supervisor
-- (escalated) or put off until hold_until (postponed), with who did it,
-- when and why; the queue leaves it out while the hold lasts
-- (review.Hold.Active). Its history has the same in the audit trail.
ALTER TABLE runs ADD COLUMN hold TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN hold_by TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN hold_note TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN hold_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN hold_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_held ON runs (hold, hold_until, queued_at, id) WHERE status = 'NEEDS_REVIEW' AND hold != '';

-- Due times: when each run waiting for review is due (review.DueAt): the
-- time Extend sent in the run's metadata field named by the due_field
-- setting (due_meta, kept to recompute), else when it began to wait plus
-- its workflow's service level; a run with neither sorts after all that
-- have one (review.NoDue). The queue is ordered by it.
CREATE TABLE service_levels (
	workflow_id TEXT PRIMARY KEY,
	within_ms   BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	updated_by  TEXT NOT NULL
);
ALTER TABLE runs ADD COLUMN due_meta BIGINT;
ALTER TABLE runs ADD COLUMN due_at BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET due_at = coalesce(queued_at, 0) + 3155760000000;
CREATE INDEX runs_queue_due ON runs (due_at, id) WHERE status = 'NEEDS_REVIEW';
-- What destinations were told, once each (review.Alert): the due time a
-- run was told late at, and the claim (its claimed_at) told idle.
ALTER TABLE runs ADD COLUMN due_told BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN idle_told BIGINT NOT NULL DEFAULT 0;
