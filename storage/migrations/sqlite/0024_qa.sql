-- Quality assurance and measured accuracy. Per workflow, a share of the
-- decided (and straight-through) runs is checked blind by a second person;
-- each checked field keeps how many of its units (1, or a list's cells) the
-- model and the first review had right. Beside it, the model's confidence
-- and the decider on every field outcome (accuracy from corrections, by
-- confidence and per reviewer), and the time reviewers spent on a run's
-- page with the window focused.
CREATE TABLE qa_rules (
	workflow_id    TEXT PRIMARY KEY,
	sample_percent INTEGER NOT NULL DEFAULT 0,
	fields         TEXT NOT NULL DEFAULT ''   -- folded paths, comma-separated
) STRICT;

CREATE TABLE qa_samples (
	run_id      TEXT PRIMARY KEY,
	workflow_id TEXT NOT NULL,
	source      TEXT NOT NULL,              -- decided | completed
	first_by    TEXT NOT NULL DEFAULT '',   -- '' for the model alone
	first_at    INTEGER NOT NULL,
	first       BLOB,                       -- the run as the first review sent it on
	sampled_at  INTEGER NOT NULL,
	qa_by       TEXT NOT NULL DEFAULT '',
	qa_at       INTEGER,
	-- the check's sums over the run's fields, for per-run figures
	units         INTEGER NOT NULL DEFAULT 0,
	first_correct INTEGER NOT NULL DEFAULT 0,
	agrees        INTEGER NOT NULL DEFAULT 0  -- the first review had every field as QA
) STRICT;
CREATE INDEX qa_samples_open ON qa_samples (sampled_at) WHERE qa_at IS NULL;
CREATE INDEX qa_samples_checked ON qa_samples (qa_at) WHERE qa_at IS NOT NULL;

CREATE TABLE qa_fields (
	run_id        TEXT NOT NULL,
	workflow_id   TEXT NOT NULL,
	output_id     TEXT NOT NULL,
	path          TEXT NOT NULL,
	first_by      TEXT NOT NULL,
	first_at      INTEGER NOT NULL,
	qa_at         INTEGER NOT NULL,
	confidence    REAL,
	total         INTEGER NOT NULL,
	model_correct INTEGER NOT NULL,
	first_correct INTEGER NOT NULL,
	model         BLOB NOT NULL,
	first         BLOB NOT NULL,
	qa            BLOB NOT NULL,
	PRIMARY KEY (run_id, output_id, path)
) STRICT;
CREATE INDEX qa_fields_workflow ON qa_fields (workflow_id, path);

ALTER TABLE field_outcomes ADD COLUMN confidence REAL;
ALTER TABLE field_outcomes ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
UPDATE field_outcomes SET decided_by = coalesce((SELECT decided_by FROM runs WHERE runs.id = field_outcomes.run_id), '');
-- Daily sums of the field outcomes, kept with every decision and taken
-- back with it: the accuracy page and the scorecards read a few thousand
-- of these for a month, however many runs were decided (grouping 800,000
-- outcomes of 100,000 runs takes a second).
CREATE TABLE field_daily (
	day         INTEGER NOT NULL,             -- UTC days since 1970
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	n           INTEGER NOT NULL,
	edited      INTEGER NOT NULL,
	PRIMARY KEY (day, workflow_id, path)
) STRICT;
-- By confidence, per week (7-day blocks since 1970): a month is 5 weeks
-- of up to 101 bins a field, where it would be 30 days of them.
CREATE TABLE field_bins (
	week        INTEGER NOT NULL,
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	bin         INTEGER NOT NULL,           -- the model's confidence in hundredths
	n           INTEGER NOT NULL,
	edited      INTEGER NOT NULL,
	PRIMARY KEY (week, workflow_id, path, bin)
) STRICT;
CREATE TABLE reviewer_daily (
	day        INTEGER NOT NULL,
	decided_by TEXT NOT NULL,
	decided    INTEGER NOT NULL,            -- runs
	edited     INTEGER NOT NULL,            -- fields changed
	active_ms  INTEGER NOT NULL DEFAULT 0,     -- focused time on run pages
	active_runs INTEGER NOT NULL DEFAULT 0,  -- the runs it was spent on
	PRIMARY KEY (day, decided_by)
) STRICT;
-- Daily sums of the QA checks per field, kept with each check.
CREATE TABLE qa_daily (
	day           INTEGER NOT NULL,           -- of the check, UTC days since 1970
	workflow_id   TEXT NOT NULL,
	path          TEXT NOT NULL,
	total         INTEGER NOT NULL,         -- units checked
	model_correct INTEGER NOT NULL,
	first_total   INTEGER NOT NULL,         -- units of runs a person decided
	first_correct INTEGER NOT NULL,
	PRIMARY KEY (day, workflow_id, path)
) STRICT;
INSERT INTO field_daily (day, workflow_id, path, n, edited)
	SELECT decided_at / 86400000, workflow_id, path, count(*), sum(edited) FROM field_outcomes GROUP BY decided_at / 86400000, workflow_id, path;
INSERT INTO field_bins (week, workflow_id, path, bin, n, edited)
	SELECT decided_at / 86400000 / 7, workflow_id, path, CAST(floor(confidence * 100 + 0.000001) AS INTEGER) b, count(*), sum(edited)
	FROM field_outcomes WHERE confidence IS NOT NULL GROUP BY decided_at / 86400000 / 7, workflow_id, path, b;
INSERT INTO reviewer_daily (day, decided_by, decided, edited)
	SELECT decided_at / 86400000, decided_by, count(DISTINCT run_id), sum(edited) FROM field_outcomes WHERE decided_by != '' GROUP BY decided_at / 86400000, decided_by;

CREATE TABLE activity (
	actor  TEXT NOT NULL,
	run_id TEXT NOT NULL,
	day    INTEGER NOT NULL,                -- UTC days since 1970
	ms     INTEGER NOT NULL,
	PRIMARY KEY (actor, day, run_id)
) STRICT;
