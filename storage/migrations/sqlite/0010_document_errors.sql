-- A document that could not be measured keeps the reason, so the run page
-- says it at once and nothing measures it again.
ALTER TABLE documents ADD COLUMN error TEXT NOT NULL DEFAULT '';
