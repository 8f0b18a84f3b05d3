-- A document uploaded by a supervisor for one run only: it shows for that
-- run and leaves every other run that shares the file id as it was.
ALTER TABLE run_files ADD COLUMN blob TEXT NOT NULL DEFAULT '';
