-- A run's title (its name in Extend, "AWS invoice, July 2014"), so lists
-- name runs by it without reading payloads: two runs of one file are told
-- apart. Runs stored before take theirs from their payload, row by row: a
-- payload PostgreSQL cannot read as JSON keeps no title instead of failing
-- the migration.
ALTER TABLE runs ADD COLUMN title TEXT NOT NULL DEFAULT '';
DO $$
DECLARE r RECORD;
BEGIN
	FOR r IN SELECT id, payload FROM runs LOOP
		BEGIN
			UPDATE runs SET title = coalesce(convert_from(r.payload, 'UTF8')::json ->> 'name', '') WHERE id = r.id;
		EXCEPTION WHEN others THEN
			NULL;
		END;
	END LOOP;
END $$;
