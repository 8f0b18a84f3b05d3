-- Failed sign-ins, by key (an address, an account, or the two), so the
-- limits hold whichever instance is asked. Rows older than the window are
-- deleted as new ones come.
CREATE TABLE sign_in_failures (
	key TEXT NOT NULL,
	at  BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
