-- Who has a run open, by instance: each instance writes its own rows as
-- pages come and go, refreshes them while it runs, and a row not refreshed
-- for two minutes (its instance is gone) no longer counts.
CREATE TABLE viewers (
	instance TEXT NOT NULL,
	run_id   TEXT NOT NULL,
	viewer   TEXT NOT NULL,
	seen_at  INTEGER NOT NULL,
	PRIMARY KEY (run_id, instance, viewer)
) STRICT;
CREATE INDEX viewers_instance ON viewers (instance);
