-- Measuring a document tells every run that shows it, inside the write
-- that the acknowledgement of webhooks waits for: the runs are found by
-- the document's hash on these indexes, not by reading every run's files.
CREATE INDEX files_blob ON files (blob) WHERE blob != '';
CREATE INDEX run_files_blob ON run_files (blob) WHERE blob != '';

-- The dashboard's "Fields corrected most": decided and corrected counts of
-- each field of each workflow, kept with each decision and taken back on
-- undo or reopen (as field_daily is), instead of grouping every field
-- outcome on every request.
CREATE TABLE field_corrections (
	workflow_id TEXT NOT NULL,
	path        TEXT NOT NULL,
	decided     INTEGER NOT NULL,
	edited      INTEGER NOT NULL,
	PRIMARY KEY (workflow_id, path)
) STRICT;
INSERT INTO field_corrections (workflow_id, path, decided, edited)
	SELECT workflow_id, path, count(*), sum(edited) FROM field_outcomes GROUP BY workflow_id, path;
