-- Measuring a document tells every run that shows it, inside the write
-- that the acknowledgement of webhooks waits for: the runs are found by
-- the document's hash on these indexes, not by reading every run's files.
CREATE INDEX files_blob ON files (blob) WHERE blob != '';
CREATE INDEX run_files_blob ON run_files (blob) WHERE blob != '';
