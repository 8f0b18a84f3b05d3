-- A workflow's and a reviewer's accuracy are over runs' fields, and a
-- run's fields stand or fall together: their intervals count runs as
-- clusters (review.ClusterWilson), from per-run sums. QA keeps the model's
-- right units per checked run beside the first review's; the decisions
-- keep, per workflow and day, the runs, their fields and right fields and
-- the sums of squares the runs' spread follows from, with each decision
-- and taken back with it.
ALTER TABLE qa_samples ADD COLUMN model_correct INTEGER NOT NULL DEFAULT 0;
UPDATE qa_samples SET model_correct = coalesce((SELECT sum(f.model_correct) FROM qa_fields f WHERE f.run_id = qa_samples.run_id), 0)
	WHERE qa_at IS NOT NULL;
CREATE TABLE decided_daily (
	day         BIGINT NOT NULL,            -- UTC days since 1970
	workflow_id TEXT NOT NULL,
	runs        BIGINT NOT NULL,
	fields      BIGINT NOT NULL,            -- m: top-level fields of the runs
	uncorrected BIGINT NOT NULL,            -- y: of them, left as the model had them
	yy          BIGINT NOT NULL,            -- sum of y*y over the runs
	ym          BIGINT NOT NULL,            -- sum of y*m
	mm          BIGINT NOT NULL,            -- sum of m*m
	PRIMARY KEY (day, workflow_id)
);
INSERT INTO decided_daily (day, workflow_id, runs, fields, uncorrected, yy, ym, mm)
	SELECT day, workflow_id, count(*), sum(m), sum(y), sum(y * y), sum(y * m), sum(m * m) FROM (
		SELECT day, workflow_id, run_id, count(*) AS m, sum(1 - edited) AS y FROM (
			SELECT run_id, workflow_id, decided_at / 86400000 AS day, split_part(split_part(path, '[', 1), '.', 1) AS top, max(edited) AS edited
			FROM field_outcomes GROUP BY run_id, workflow_id, decided_at / 86400000, split_part(split_part(path, '[', 1), '.', 1)) t
		GROUP BY day, workflow_id, run_id) r
	GROUP BY day, workflow_id;
