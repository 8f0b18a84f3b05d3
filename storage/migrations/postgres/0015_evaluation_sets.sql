-- Corrections into Extend's evaluation sets: which approved outputs a
-- workflow's rule takes, and the Extend account they go to (empty: the
-- server's). Each output waits in the outbox as an item of its own, sent in
-- batches; the id Extend gives it is kept beside it (result).
ALTER TABLE feedback_rules ADD COLUMN runs TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE feedback_rules ADD COLUMN api_url TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback_rules ADD COLUMN api_key TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN result TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_run ON outbox (run_id, id);
