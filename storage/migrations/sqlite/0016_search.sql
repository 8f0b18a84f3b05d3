-- Search over every run: its id, file names, workflow and every value the
-- model read (review.Run.SearchText), in an FTS5 index. Its rowid is the
-- run's key here (an INTEGER PRIMARY KEY, which VACUUM keeps; the runs'
-- own rowids it may renumber). Runs stored before this are indexed at
-- start (indexUnsearched).
CREATE TABLE run_search (
	key    INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL UNIQUE
) STRICT;
CREATE VIRTUAL TABLE run_text USING fts5(words, tokenize = 'unicode61 remove_diacritics 2');
