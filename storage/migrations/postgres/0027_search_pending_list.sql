-- The words of new runs wait in the word index's pending list, which every
-- search reads whole, until it outgrows gin_pending_list_limit (4 MB by
-- default: 358 pages and 2.5 to 7 ms of a search at 1,000,000 runs) and is
-- merged into the index. 256 kB keeps that read under a millisecond; the
-- merge then comes more often, in smaller parts (200,000 runs inserted in
-- batches of 2,000 took the same time either way: 13.9 and 16.9 s against
-- 15.2 and 15.9 s).
ALTER INDEX run_text_tsv SET (gin_pending_list_limit = 256);
