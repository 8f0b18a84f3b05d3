-- The Extend-compatible API (GET /workflow_runs and its batchId filter,
-- POST /workflow_runs/{id}): a run's batch id and the payload members its
-- list shows (head, so a list never reads a payload), and what callers
-- changed of its name and metadata (updates, a review.RunUpdate), kept apart
-- from the payload so a later event from Extend does not lose it. Runs
-- stored before keep a NULL head; the list reads their payload instead.
ALTER TABLE runs ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN head BYTEA;
ALTER TABLE runs ADD COLUMN updates TEXT;
-- Row by row: a payload PostgreSQL cannot read as JSON (a NUL escape, bytes
-- that are not UTF-8) keeps no batch id instead of failing the migration.
DO $$
DECLARE r RECORD;
BEGIN
	FOR r IN SELECT id, payload FROM runs LOOP
		BEGIN
			UPDATE runs SET batch_id = coalesce(convert_from(r.payload, 'UTF8')::json ->> 'batchId', '') WHERE id = r.id;
		EXCEPTION WHEN others THEN
			NULL;
		END;
	END LOOP;
END $$;
CREATE INDEX runs_updated ON runs (updated_at, id);
CREATE INDEX runs_batch ON runs (batch_id, updated_at, id) WHERE batch_id != '';
