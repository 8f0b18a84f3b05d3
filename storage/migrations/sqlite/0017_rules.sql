-- Validation rules per workflow (review.Rule, written in CEL), kept as the
-- JSON list an admin imports and exports; what the rules said of a run at
-- its decision goes with the decision into the audit trail, and its failed
-- rules into rule_failures, which the dashboard counts.
CREATE TABLE validation_rules (
	workflow_id TEXT PRIMARY KEY,
	rules       TEXT NOT NULL,
	updated_at  INTEGER NOT NULL,
	updated_by  TEXT NOT NULL
) STRICT;
ALTER TABLE audit ADD COLUMN rules TEXT NOT NULL DEFAULT '';
CREATE TABLE rule_failures (
	run_id      TEXT NOT NULL,
	workflow_id TEXT NOT NULL,
	rule        TEXT NOT NULL,
	severity    TEXT NOT NULL,
	overridden  INTEGER NOT NULL DEFAULT 0,
	decided_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX rule_failures_at ON rule_failures (decided_at);
CREATE INDEX rule_failures_run ON rule_failures (run_id);
-- The quality check of straight-through runs may send a run failing a
-- blocking rule to review.
ALTER TABLE routing_rules ADD COLUMN failing_rules INTEGER NOT NULL DEFAULT 0;
