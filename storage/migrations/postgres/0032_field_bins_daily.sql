-- The accuracy page's confidence bands count the chosen days, as the
-- columns beside them do: the sums by confidence are kept per day too, not
-- only per seven-day block (a period of days counted the whole weeks it
-- touched). The page reads the whole weeks within the period from the
-- weekly sums (a month is 5 weeks of up to 101 bins a field, where it
-- would be 30 days of them) and the days at its ends from these. They are
-- made from the decisions' field outcomes, as 0019 made the weekly ones: a
-- run's list (or object) once, corrected when any of it was, at its lowest
-- confidence.
CREATE TABLE field_bins_daily (
	day         BIGINT NOT NULL,            -- of the decision, UTC days since 1970
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	bin         INTEGER NOT NULL,           -- the model's confidence in hundredths
	n           INTEGER NOT NULL,
	edited      INTEGER NOT NULL,
	PRIMARY KEY (day, workflow_id, path, bin)
);
INSERT INTO field_bins_daily (day, workflow_id, path, bin, n, edited)
	SELECT day, workflow_id, top, CAST(floor(confidence * 100 + 0.000001) AS INTEGER) AS b, count(*), sum(edited) FROM (
		SELECT run_id, workflow_id, decided_at / 86400000 AS day, split_part(split_part(path, '[', 1), '.', 1) AS top, max(edited) AS edited, min(confidence) AS confidence
		FROM field_outcomes GROUP BY run_id, workflow_id, decided_at / 86400000, split_part(split_part(path, '[', 1), '.', 1)) f
	WHERE confidence IS NOT NULL GROUP BY day, workflow_id, top, b;
