-- A run's title (its name in Extend, "AWS invoice, July 2014"), so lists
-- name runs by it without reading payloads: two runs of one file are told
-- apart. Runs stored before take theirs from their payload.
ALTER TABLE runs ADD COLUMN title TEXT NOT NULL DEFAULT '';
UPDATE runs SET title = coalesce(json_extract(CAST(payload AS TEXT), '$.name'), '')
	WHERE json_valid(CAST(payload AS TEXT)) AND json_type(CAST(payload AS TEXT), '$.name') = 'text';
