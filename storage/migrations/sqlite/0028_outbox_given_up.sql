-- The dashboard counts the outbox items given up, by kind, on every
-- request: an index of those alone, never the items sent.
CREATE INDEX outbox_dead ON outbox (kind) WHERE state = 'dead';
