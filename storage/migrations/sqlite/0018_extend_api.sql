-- The Extend-compatible API (GET /workflow_runs and its batchId filter,
-- POST /workflow_runs/{id}): a run's batch id and the payload members its
-- list shows (head, so a list never reads a payload), and what callers
-- changed of its name and metadata (updates, a review.RunUpdate), kept apart
-- from the payload so a later event from Extend does not lose it. Runs
-- stored before keep a NULL head; the list reads their payload instead.
ALTER TABLE runs ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN head BLOB;
ALTER TABLE runs ADD COLUMN updates TEXT;
UPDATE runs SET batch_id = json_extract(CAST(payload AS TEXT), '$.batchId')
	WHERE json_valid(CAST(payload AS TEXT)) AND json_type(CAST(payload AS TEXT), '$.batchId') = 'text';
CREATE INDEX runs_updated ON runs (updated_at, id);
CREATE INDEX runs_batch ON runs (batch_id, updated_at, id) WHERE batch_id != '';
