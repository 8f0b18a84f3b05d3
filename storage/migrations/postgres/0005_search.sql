-- Search over every run: its id, file names, workflow and every value the
-- model read (review.Run.SearchText), in a GIN index of its words.
CREATE TABLE run_text (
	run_id TEXT PRIMARY KEY REFERENCES runs (id),
	words  TEXT NOT NULL,
	tsv    tsvector GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED
);
CREATE INDEX run_text_tsv ON run_text USING gin (tsv);
