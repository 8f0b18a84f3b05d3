-- How many runs wait for review, kept by a trigger as statuses change: the
-- queue page and the dashboard read one row instead of counting the queue
-- (100,000 waiting runs took 15 ms to count).
CREATE TABLE queue_depth (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	n   BIGINT NOT NULL
);
INSERT INTO queue_depth (one, n) SELECT 1, count(*) FROM runs WHERE status = 'NEEDS_REVIEW';

CREATE FUNCTION runs_depth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d BIGINT := 0;
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'NEEDS_REVIEW' THEN d := d + 1; END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'NEEDS_REVIEW' THEN d := d - 1; END IF;
	IF d != 0 THEN UPDATE queue_depth SET n = n + d; END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER runs_depth AFTER INSERT OR UPDATE OF status OR DELETE ON runs FOR EACH ROW EXECUTE FUNCTION runs_depth();
