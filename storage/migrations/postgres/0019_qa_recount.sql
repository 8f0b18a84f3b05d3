-- Checks made before an empty value scored as wrong (a value against QA's
-- none counted right) are scored again at the next start (storage's
-- recountQA), which clears the mark as it puts each right.
ALTER TABLE qa_samples ADD COLUMN recount INTEGER NOT NULL DEFAULT 0;
UPDATE qa_samples SET recount = 1 WHERE qa_at IS NOT NULL;
CREATE INDEX qa_samples_recount ON qa_samples (run_id) WHERE recount = 1;

-- A list is one field of a run on both sides of the accuracy page (QA
-- scores top-level fields): the corrections' sums are made again with a
-- run's list (or object) counted once, corrected when any of it was, at
-- its lowest confidence. And QA counts how many fields of runs its units
-- came from, for intervals that count a list's cells once per run.
ALTER TABLE qa_daily ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE qa_daily ADD COLUMN first_runs INTEGER NOT NULL DEFAULT 0;
UPDATE qa_daily SET
	runs = (SELECT count(*) FROM qa_fields f WHERE f.workflow_id = qa_daily.workflow_id AND f.path = qa_daily.path AND f.qa_at / 86400000 = qa_daily.day),
	first_runs = (SELECT count(*) FROM qa_fields f WHERE f.workflow_id = qa_daily.workflow_id AND f.path = qa_daily.path AND f.qa_at / 86400000 = qa_daily.day AND f.first_by != '');
ALTER TABLE qa_samples ADD COLUMN fields INTEGER NOT NULL DEFAULT 0;
UPDATE qa_samples SET fields = (SELECT count(*) FROM qa_fields f WHERE f.run_id = qa_samples.run_id);
DELETE FROM field_daily;
DELETE FROM field_bins;
INSERT INTO field_daily (day, workflow_id, path, n, edited)
	SELECT day, workflow_id, top, count(*), sum(edited) FROM (
		SELECT run_id, workflow_id, decided_at / 86400000 AS day, split_part(split_part(path, '[', 1), '.', 1) AS top, max(edited) AS edited
		FROM field_outcomes GROUP BY run_id, workflow_id, decided_at / 86400000, split_part(split_part(path, '[', 1), '.', 1)) f
	GROUP BY day, workflow_id, top;
INSERT INTO field_bins (week, workflow_id, path, bin, n, edited)
	SELECT day / 7, workflow_id, top, CAST(floor(confidence * 100 + 0.000001) AS INTEGER) AS b, count(*), sum(edited) FROM (
		SELECT run_id, workflow_id, decided_at / 86400000 AS day, split_part(split_part(path, '[', 1), '.', 1) AS top, max(edited) AS edited, min(confidence) AS confidence
		FROM field_outcomes GROUP BY run_id, workflow_id, decided_at / 86400000, split_part(split_part(path, '[', 1), '.', 1)) f
	WHERE confidence IS NOT NULL GROUP BY day / 7, workflow_id, top, b;
