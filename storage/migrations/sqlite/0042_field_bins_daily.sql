-- The accuracy page's confidence bands count the chosen days, as the
-- columns beside them do: the sums by confidence are kept per day, not per
-- seven-day block (a period of days counted the whole weeks it touched).
-- They are made again from the decisions' field outcomes, as 0030 made
-- them: a run's list (or object) once, corrected when any of it was, at
-- its lowest confidence.
DROP TABLE field_bins;
CREATE TABLE field_bins (
	day         INTEGER NOT NULL,           -- of the decision, UTC days since 1970
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	bin         INTEGER NOT NULL,           -- the model's confidence in hundredths
	n           INTEGER NOT NULL,
	edited      INTEGER NOT NULL,
	PRIMARY KEY (day, workflow_id, path, bin)
) STRICT;
INSERT INTO field_bins (day, workflow_id, path, bin, n, edited)
	SELECT day, workflow_id, top, CAST(floor(confidence * 100 + 0.000001) AS INTEGER) AS b, count(*), sum(edited) FROM (
		SELECT run_id, workflow_id, decided_at / 86400000 AS day, CASE WHEN instr(path, '[') > 0 AND (instr(path, '.') = 0 OR instr(path, '[') < instr(path, '.')) THEN substr(path, 1, instr(path, '[') - 1) WHEN instr(path, '.') > 0 THEN substr(path, 1, instr(path, '.') - 1) ELSE path END AS top, max(edited) AS edited, min(confidence) AS confidence
		FROM field_outcomes GROUP BY run_id, workflow_id, decided_at / 86400000, CASE WHEN instr(path, '[') > 0 AND (instr(path, '.') = 0 OR instr(path, '[') < instr(path, '.')) THEN substr(path, 1, instr(path, '[') - 1) WHEN instr(path, '.') > 0 THEN substr(path, 1, instr(path, '.') - 1) ELSE path END) f
	WHERE confidence IS NOT NULL GROUP BY day, workflow_id, top, b;
