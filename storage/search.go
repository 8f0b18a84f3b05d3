package storage

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/reviewer-app/reviewer/review"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// index puts a run's words in the search index, replacing what it had
// there; with add, adds those it lacks (a decision's corrections).
func index(ctx context.Context, tx *txn, runID, words string, add bool) error {
	words = fold(words)
	if add {
		var old string
		q := `SELECT t.words FROM run_text t JOIN run_search s ON s.key = t.rowid WHERE s.run_id = ?`
		if tx.pg {
			q = `SELECT words FROM run_text WHERE run_id = ?`
		}
		if err := tx.QueryRowContext(ctx, q, runID).Scan(&old); err != nil && !isNoRows(err) {
			return err
		}
		words = merge(old, words)
	}
	return indexRuns(ctx, tx, []searchText{{runID, words}})
}

// searchText is a run's words, folded, for the search index.
type searchText struct{ runID, words string }

// indexRuns puts runs' words in the search index, replacing what they had
// there, a few statements for them all. Each run is named once.
func indexRuns(ctx context.Context, tx *txn, texts []searchText) error {
	if len(texts) == 0 {
		return nil
	}
	var args []any
	if tx.pg {
		for _, t := range texts {
			args = append(args, t.runID, t.words)
		}
		return execRows(ctx, tx, `INSERT INTO run_text (run_id, words) VALUES `, `ON CONFLICT (run_id) DO UPDATE SET words = excluded.words`, 2, args)
	}
	// FTS5 rows are keyed by run_search's key: find or make each run's,
	// then replace the rows under those keys.
	for rest := texts; len(rest) > 0; {
		n := min(len(rest), maxRowsPerStatement)
		names := make([]any, n)
		for i, t := range rest[:n] {
			names[i] = t.runID
		}
		key := map[string]int64{}
		err := queryRows(ctx, tx, `INSERT INTO run_search (run_id) VALUES `+values(false, 1, n, 1)+` ON CONFLICT (run_id) DO UPDATE SET run_id = excluded.run_id RETURNING run_id, key`, names, func(rows *sql.Rows) error {
			var id string
			var k int64
			err := rows.Scan(&id, &k)
			key[id] = k
			return err
		})
		if err != nil {
			return err
		}
		keys := make([]any, n)
		for i, t := range rest[:n] {
			keys[i] = key[t.runID]
			args = append(args, key[t.runID], t.words)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_text WHERE rowid IN `+ids(false, 1, n), keys...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return execRows(ctx, tx, `INSERT INTO run_text (rowid, words) VALUES `, "", 2, args)
}

// merge adds to old the words of more it lacks.
func merge(old, more string) string {
	have := map[string]bool{}
	for _, w := range strings.Fields(old) {
		have[w] = true
	}
	out := old
	for _, w := range strings.Fields(more) {
		if !have[w] {
			have[w] = true
			out += " " + w
		}
	}
	return strings.TrimSpace(out)
}

// fold drops accents, so "Société" is found by "societe" with either
// backend (SQLite's tokenizer could, PostgreSQL's simple one cannot).
func fold(s string) string {
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		return s
	}
	return out
}

// searchCandidates is the most runs a search reads by its rarest-looking
// word before checking the other words on them. FTS5 answers a prefix
// query by merging the whole doclist of every word that begins with it
// before the AND is taken: "invoice"* read every run at 1,000,000 runs
// that all hold the word (a second, where the invoice number alone took a
// millisecond); PostgreSQL's GIN index does the same (pgSearchRarest). A
// thousand runs' words are checked in well under a millisecond; beyond
// that, the word index takes the whole query.
const searchCandidates = 1000

// searchWhere is the condition that finds runs by what was typed: the run
// id exactly, or every word beginning a word of the run's text. The matches
// are a set the runs are joined to (with OR instead, PostgreSQL walked the
// whole queue testing each run: 9 ms at 100,000 runs against 0.8 ms).
func searchWhere(ctx context.Context, db querier, pg bool, q string) (string, []any, error) {
	words := review.SearchWords(fold(q))
	if len(words) == 0 {
		return "id = ?", []any{q}, nil
	}
	if pg {
		terms := make([]string, len(words))
		for i, w := range words {
			terms[i] = w + ":*"
		}
		all := strings.Join(terms, " & ")
		if len(words) == 1 {
			return "id IN (SELECT run_id FROM run_text WHERE tsv @@ to_tsquery('simple', ?) UNION ALL SELECT ?)", []any{all, q}, nil
		}
		return pgSearchRarest, []any{rarest(words) + ":*", searchCandidates + 1, all, searchCandidates, searchCandidates, all, q}, nil
	}
	if len(words) > 1 {
		found, ok, err := searchRarest(ctx, db, words)
		if err != nil || ok {
			return "id IN " + ids(false, 1, len(found)+1), append(found, q), err
		}
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + w + `"*`
	}
	return "id IN (SELECT s.run_id FROM run_text t JOIN run_search s ON s.key = t.rowid WHERE run_text MATCH ? UNION ALL SELECT ?)", []any{strings.Join(terms, " AND "), q}, nil
}

// pgSearchRarest is searchWhere's condition on PostgreSQL for several
// words: the runs of the rarest-looking word (rarest), at most
// searchCandidates of them, checked for every word; past that many, the
// whole tsquery over the index. A GIN index answers a prefix term by
// gathering every run of every word it begins before the AND is taken:
// "invoice:*" gathered all 1,000,000 runs (22 ms, over the page's 15 ms)
// where "054321:*" alone took 0.03 ms. Both tables are MATERIALIZED so
// that the planner reads the rare word on the index (with the LIMIT in
// view it walked the whole table instead, expecting many matches), and
// the count decides once which of the two branches runs at all.
const pgSearchRarest = `id IN (WITH rare AS MATERIALIZED (SELECT run_id, tsv FROM run_text WHERE tsv @@ to_tsquery('simple', ?)),
	few AS MATERIALIZED (SELECT run_id, tsv FROM rare LIMIT ?)
	SELECT run_id FROM few WHERE tsv @@ to_tsquery('simple', ?) AND (SELECT count(*) FROM few) <= ?
	UNION ALL SELECT run_id FROM run_text WHERE (SELECT count(*) FROM few) > ? AND tsv @@ to_tsquery('simple', ?)
	UNION ALL SELECT ?)`

// rarest is the word of words likeliest to be rare (rarer).
func rarest(words []string) string { return slices.MaxFunc(words, rarer) }

// rarer compares words by how likely each is to be rare: the one with the
// more digits, then the longer; an invoice number, not "invoice".
func rarer(a, b string) int {
	digits := func(w string) int {
		n := 0
		for _, r := range w {
			if unicode.IsDigit(r) {
				n++
			}
		}
		return n
	}
	return cmp.Or(cmp.Compare(digits(a), digits(b)), cmp.Compare(len(a), len(b)))
}

// searchRarest finds on SQLite the runs holding every one of words (each
// beginning a word of the run's text) through their rarest word. ok is
// false when that word is in more than searchCandidates runs.
func searchRarest(ctx context.Context, db querier, words []string) (found []any, ok bool, err error) {
	n := 0
	err = queryRows(ctx, db, `SELECT s.run_id, t.words FROM run_text t JOIN run_search s ON s.key = t.rowid WHERE run_text MATCH ? LIMIT ?`,
		[]any{`"` + rarest(words) + `"*`, searchCandidates + 1}, func(rows *sql.Rows) error {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				return err
			}
			if n++; n <= searchCandidates && beginsWords(review.Words(text), words) {
				found = append(found, id)
			}
			return nil
		})
	return found, err == nil && n <= searchCandidates, err
}

// searchWalk is the most runs a search of common words reads in its
// page's order, checking each for the words, before it asks the word index
// instead. Where every word is in more than searchCandidates runs, the
// word index answers only by gathering every run of each (a second at
// 1,000,000 runs of "invoice"), while the page's order finds a page of
// runs that half match in about twice the page. Words each common but
// rare together read this many runs for nothing before the index answers:
// a thousand runs are read in a few milliseconds.
const searchWalk = 1000

// searchFirst is searchWhere for a page of at most want runs of where (with
// args), in order: when every word of q is common, the ids of the first
// want runs found by walking the page in its order (searchWalk runs at
// most), if that many are found or the page ends first; else searchWhere.
func searchFirst(ctx context.Context, db querier, pg bool, where string, args []any, order, q string, want int) (string, []any, error) {
	words := review.SearchWords(fold(q))
	if len(words) > 0 {
		common, err := commonWords(ctx, db, pg, words)
		if err != nil {
			return "", nil, err
		}
		if common {
			found, ok, err := walkSearch(ctx, db, pg, where, args, order, words, q, want)
			if err != nil || ok {
				return "id IN " + ids(false, 1, len(found)+1), append(found, q), err
			}
		}
	}
	return searchWhere(ctx, db, pg, q)
}

// commonWords tells whether each of words is, as a whole word, in more
// than searchCandidates runs. Whole words, unlike the prefixes a search
// matches, are read from the index lazily (FTS5's doclist of the term, on
// PostgreSQL a scan that stops at the limit where the statistics say the
// word is everywhere), so a common word costs a thousand entries here; a
// word that is only the beginning of common words counts as rare, and the
// search goes as before. One statement asks word after word, the likeliest
// rare word first, and stops at the first rare one (each CASE evaluates
// its next count only when the one before is over).
func commonWords(ctx context.Context, db querier, pg bool, words []string) (bool, error) {
	words = slices.Clone(words)
	slices.SortFunc(words, func(a, b string) int { return rarer(b, a) })
	count, term := `(SELECT count(*) FROM (SELECT 1 FROM run_text WHERE run_text MATCH ? LIMIT ?) c)`, func(w string) string { return `"` + w + `"` }
	if pg {
		count, term = pgWordCount, func(w string) string { return w }
	}
	q, args := "1", []any{}
	for i := len(words) - 1; i >= 0; i-- {
		q = "CASE WHEN " + count + " > ? THEN " + q + " ELSE 0 END"
		args = append([]any{term(words[i]), searchCandidates + 1, searchCandidates}, args...)
	}
	common := 0
	err := queryRows(ctx, db, "SELECT "+q, args, func(rows *sql.Rows) error { return rows.Scan(&common) })
	return common == 1, err
}

// pgWordCount counts the runs holding a word, up to a limit (commonWords).
// PostgreSQL stops at the limit where it expects the word to be common (it
// reads the table until the limit); where it expects it to be rare, it asks
// the word index for every run of the word.
const pgWordCount = `(SELECT count(*) FROM (SELECT 1 FROM run_text WHERE tsv @@ to_tsquery('simple', ?) LIMIT ?) c)`

// walkSearch reads the runs of where (with args) in order, at most
// searchWalk of them, and returns the ids of the first want holding every
// one of words (or whose id is q). ok is false when searchWalk runs held
// fewer.
func walkSearch(ctx context.Context, db querier, pg bool, where string, args []any, order string, words []string, q string, want int) (found []any, ok bool, err error) {
	if pg {
		query, args := pgSearchWalk(where, args, order, words, q, want)
		end := false
		err := queryRows(ctx, db, query, args, func(rows *sql.Rows) error {
			var id string
			var hit bool
			var n int
			err := rows.Scan(&id, &hit, &n)
			if hit {
				found = append(found, id)
			}
			end = end || n == searchWalk
			return err
		})
		return found, err == nil && (len(found) >= want || !end), err
	}
	rows, err := db.QueryContext(ctx, `SELECT id, (SELECT t.words FROM run_search s JOIN run_text t ON t.rowid = s.key WHERE s.run_id = runs.id) FROM runs WHERE `+where+` ORDER BY `+order+` LIMIT ?`, append(slices.Clone(args), searchWalk)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	n := 0
	for len(found) < want && rows.Next() {
		var id string
		var text sql.NullString
		if err := rows.Scan(&id, &text); err != nil {
			return nil, false, err
		}
		if n++; id == q || beginsWords(review.Words(text.String), words) {
			found = append(found, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return found, len(found) >= want || n < searchWalk, nil
}

// pgSearchWalk is walkSearch's query on PostgreSQL: the runs of where in
// order, at most searchWalk, each with whether its words match (hit) and
// its place (n); of them the matches, and the searchWalk-th run (to tell
// that the walk ended there, not with the runs), until want. The LIMIT
// inside keeps the planner from asking the word index for every matching
// run first; the one outside stops the walk at the page's end.
func pgSearchWalk(where string, args []any, order string, words []string, q string, want int) (string, []any) {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = w + ":*"
	}
	query := `SELECT id, hit, n FROM (SELECT id, coalesce((SELECT t.tsv @@ to_tsquery('simple', ?) FROM run_text t WHERE t.run_id = runs.id), false) OR id = ? AS hit,
		row_number() OVER (ORDER BY ` + order + `) AS n FROM runs WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?) w WHERE hit OR n = ? LIMIT ?`
	return query, append(append([]any{strings.Join(terms, " & "), q}, args...), searchWalk, searchWalk, want)
}

// beginsWords tells whether each of words begins one of have, as FTS5's
// prefix query "w"* has it.
func beginsWords(have, words []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// indexUnsearched indexes, a batch at a time, runs stored before search
// existed. It runs once at start, in the background, until done or ctx ends.
func (s *Store) indexUnsearched(ctx context.Context) {
	missing := `SELECT id, payload FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_search s WHERE s.run_id = r.id) LIMIT 200`
	if s.pg != nil {
		missing = `SELECT id, payload FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_text t WHERE t.run_id = r.id) LIMIT 200`
	}
	for ctx.Err() == nil {
		n, err := s.indexBatch(ctx, missing)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("indexing runs for search", "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
	}
}

func (s *Store) indexBatch(ctx context.Context, missing string) (int, error) {
	rows, err := s.r.QueryContext(ctx, missing)
	if err != nil {
		return 0, err
	}
	words := map[string]string{}
	for rows.Next() {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			rows.Close()
			return 0, err
		}
		text := id
		if run, err := review.DecodeRun(payload); err == nil {
			text = run.SearchText()
		}
		words[id] = text
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(words) == 0 {
		return 0, err
	}
	var texts []searchText
	for id, w := range words {
		texts = append(texts, searchText{id, fold(w)})
	}
	err = s.write(ctx, func(tx *txn) error { return indexRuns(ctx, tx, texts) })
	if err != nil {
		return 0, fmt.Errorf("index runs: %w", err)
	}
	return len(words), nil
}
