-- Quality checks on straight-through runs: per workflow, a run that
-- arrives already completed is sent to review when a field's confidence is
-- below the threshold, or when it falls in the sample; otherwise it is
-- recorded as auto-approved.
CREATE TABLE routing_rules (
	workflow_id    TEXT PRIMARY KEY,
	below          REAL,                       -- confidence threshold, 0..1
	sample_percent INTEGER NOT NULL DEFAULT 0  -- 0..100
) STRICT;
ALTER TABLE runs ADD COLUMN routed TEXT NOT NULL DEFAULT ''; -- '' | low confidence | sample | auto-approved
