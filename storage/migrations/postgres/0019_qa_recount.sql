-- Checks made before an empty value scored as wrong (a value against QA's
-- none counted right) are scored again at the next start (storage's
-- recountQA), which clears the mark as it puts each right.
ALTER TABLE qa_samples ADD COLUMN recount INTEGER NOT NULL DEFAULT 0;
UPDATE qa_samples SET recount = 1 WHERE qa_at IS NOT NULL;
CREATE INDEX qa_samples_recount ON qa_samples (run_id) WHERE recount = 1;
