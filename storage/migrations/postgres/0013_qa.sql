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
);

CREATE TABLE qa_samples (
	run_id      TEXT PRIMARY KEY,
	workflow_id TEXT NOT NULL,
	source      TEXT NOT NULL,              -- decided | completed
	first_by    TEXT NOT NULL DEFAULT '',   -- '' for the model alone
	first_at    BIGINT  NOT NULL,
	first       BYTEA,                       -- the run as the first review sent it on
	sampled_at  BIGINT  NOT NULL,
	qa_by       TEXT NOT NULL DEFAULT '',
	qa_at       BIGINT 
);
CREATE INDEX qa_samples_open ON qa_samples (sampled_at) WHERE qa_at IS NULL;

CREATE TABLE qa_fields (
	run_id        TEXT NOT NULL,
	workflow_id   TEXT NOT NULL,
	output_id     TEXT NOT NULL,
	path          TEXT NOT NULL,
	first_by      TEXT NOT NULL,
	first_at      BIGINT  NOT NULL,
	qa_at         BIGINT  NOT NULL,
	confidence    DOUBLE PRECISION,
	total         INTEGER NOT NULL,
	model_correct INTEGER NOT NULL,
	first_correct INTEGER NOT NULL,
	model         BYTEA NOT NULL,
	first         BYTEA NOT NULL,
	qa            BYTEA NOT NULL,
	PRIMARY KEY (run_id, output_id, path)
);
CREATE INDEX qa_fields_workflow ON qa_fields (workflow_id, path);

ALTER TABLE field_outcomes ADD COLUMN confidence DOUBLE PRECISION;
ALTER TABLE field_outcomes ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
UPDATE field_outcomes f SET decided_by = r.decided_by FROM runs r WHERE r.id = f.run_id;
CREATE INDEX field_outcomes_decided ON field_outcomes (decided_at);

CREATE TABLE activity (
	actor  TEXT NOT NULL,
	run_id TEXT NOT NULL,
	day    BIGINT  NOT NULL,                -- UTC days since 1970
	ms     BIGINT  NOT NULL,
	PRIMARY KEY (actor, day, run_id)
);
