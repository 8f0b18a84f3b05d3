-- How each page of a document is turned for viewing, in quarter turns
-- clockwise: the document's state, turned by one statement that adds to
-- what is there (two turns at once both count), not a setting read,
-- changed and written back. The turns kept as settings move here.
CREATE TABLE page_turns (
	blob     TEXT NOT NULL,
	page     INTEGER NOT NULL,
	quarters INTEGER NOT NULL,
	PRIMARY KEY (blob, page)
);
INSERT INTO page_turns (blob, page, quarters)
	SELECT substr(s.key, 14), j.key::integer, (j.value::integer / 90 % 4 + 4) % 4
	FROM settings s, jsonb_each_text(convert_from(s.value, 'UTF8')::jsonb) j
	WHERE s.key LIKE 'setting:turn:%' AND (j.value::integer / 90 % 4 + 4) % 4 != 0;
DELETE FROM settings WHERE key LIKE 'setting:turn:%';
