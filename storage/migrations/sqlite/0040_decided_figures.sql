-- The dashboard's figures of the work done, kept with each decision and
-- taken back on undo or reopen (as field_corrections is), instead of
-- reading every run decided in the last week on every request, each row
-- past its payload: decisions by clock hour, reviewer and decision, and
-- handling times by day, reviewer and bucket (review.HandlingBucket: a
-- factor 2^(1/8) wide), which a median is read from.
CREATE TABLE decided_hours (
	hour       INTEGER NOT NULL, -- decided_at / 3600000
	decided_by TEXT NOT NULL,
	decision   TEXT NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (hour, decided_by, decision)
) STRICT;
CREATE TABLE handling_days (
	day        INTEGER NOT NULL, -- decided_at / 86400000
	decided_by TEXT NOT NULL,
	bucket     INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (day, decided_by, bucket)
) STRICT;
INSERT INTO decided_hours (hour, decided_by, decision, n)
	SELECT decided_at / 3600000, decided_by, decision, count(*) FROM runs WHERE decided_at IS NOT NULL AND decision != ''
	GROUP BY decided_at / 3600000, decided_by, decision;
INSERT INTO handling_days (day, decided_by, bucket, n)
	SELECT decided_at / 86400000 AS day, decided_by, CAST(floor(8 * log2(max(handling_ms, 1))) AS INTEGER) AS bucket, count(*)
	FROM runs WHERE decided_at IS NOT NULL AND decision != '' AND handling_ms IS NOT NULL GROUP BY day, decided_by, bucket;
