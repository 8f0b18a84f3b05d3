-- Documents stored and not yet measured, a queue the ingest worker drains
-- (documents keeps what was learnt). Finding them by comparing every stored
-- blob with documents scanned both tables after each document fetched.
CREATE TABLE unmeasured (
	blob TEXT PRIMARY KEY
);
INSERT INTO unmeasured (blob)
	SELECT blob FROM files WHERE blob != '' UNION SELECT blob FROM run_files WHERE blob != ''
	EXCEPT SELECT blob FROM documents;
