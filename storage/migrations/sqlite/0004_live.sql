-- Claims: who works on a run, until when (a lease the open page renews).
ALTER TABLE runs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN claimed_at INTEGER;
ALTER TABLE runs ADD COLUMN claim_expires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN handling_ms INTEGER;          -- claim to decision, for the dashboard
CREATE INDEX runs_queue_confidence ON runs (coalesce(min_confidence, -1), id) WHERE status = 'NEEDS_REVIEW';
CREATE INDEX runs_decided ON runs (decided_at) WHERE decided_at IS NOT NULL;

-- The change feed: every write a page should see appends a row in the same
-- transaction. Live updates are read from here after the commit, so none is
-- sent for a write that did not happen, and a page that reconnects asks for
-- what came after the last sequence number it saw.
CREATE TABLE changes (
	seq    INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	kind   TEXT NOT NULL,                 -- run | claim | decision | edit
	run_id TEXT NOT NULL DEFAULT '',
	actor  TEXT NOT NULL DEFAULT ''
) STRICT;

-- For each decided run, whether each field was corrected: the dashboard's
-- correction rates. Array indexes are folded: line_items[].amount.
CREATE TABLE field_outcomes (
	run_id      TEXT NOT NULL,
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	edited      INTEGER NOT NULL,
	decided_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX field_outcomes_workflow ON field_outcomes (workflow_id, path);
