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
