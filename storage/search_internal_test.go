package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/pgtest"
	"github.com/reviewer-app/reviewer/review"
)

// TestSearchNarrowsByTheRarestWord: on SQLite a search of several words
// reads the runs of its rarest-looking word (the invoice number) and
// checks the others itself, instead of FTS5 merging the doclist of a word
// every run holds; past searchCandidates runs, FTS5 takes the whole query.
// Either way a run is found when each word begins one of its words.
func TestSearchNarrowsByTheRarestWord(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	ctx := context.Background()
	var texts []searchText
	for i := range searchCandidates + 1 {
		texts = append(texts, searchText{fmt.Sprintf("run_%d", i), fmt.Sprintf("invoice INV-%04d acme total 12", i)})
	}
	texts = append(texts, searchText{"run_other", "receipt INV-0042 acme"})
	if err := s.write(ctx, func(tx *txn) error { return indexRuns(ctx, tx, texts) }); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"invoice inv-0042": {"run_42"},
		"inv-004 invoice":  {"run_40", "run_41", "run_42", "run_43", "run_44", "run_45", "run_46", "run_47", "run_48", "run_49"},
		"acme 0042":        {"run_42", "run_other"},
		"receipt 0042":     {"run_other"},
		"invoice 9999":     {},
		"invoice acme 12":  nil, // every run: more than searchCandidates
	} {
		where, args, err := searchWhere(ctx, s.r, false, q)
		if err != nil {
			t.Fatal(err)
		}
		if narrowed := !strings.Contains(where, "MATCH"); narrowed != (want != nil) {
			t.Errorf("%q: narrowed=%v (%s)", q, narrowed, where)
		}
		got := column(t, s.r, `SELECT run_id FROM run_search WHERE `+strings.Replace(where, "id IN", "run_id IN", 1), args)
		slices.Sort(got)
		if want == nil && len(got) != searchCandidates+1 {
			t.Errorf("%q found %d runs, want %d", q, len(got), searchCandidates+1)
		}
		if want != nil && !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("%q found %v, want %v", q, got, want)
		}
	}
}

// TestNextReturnReadsTheHoldIndex: the queue page asks when the next
// postponed run returns; that is read on the index of held runs, not by
// reading every waiting run.
func TestNextReturnReadsTheHoldIndex(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	if steps := plan(t, s, nextReturn, 0); !strings.Contains(strings.Join(steps, "; "), "runs_held") {
		t.Errorf("the next return is found by %q", steps)
	}
}

// TestDuplicatesReadTheKeyIndex: every run's page, and every arrival,
// looks up the first other run with its key; that is read on the index of keys, not by
// reading every run of its workflow, payloads and all (27 ms a page at
// 650 runs, growing with each).
func TestDuplicatesReadTheKeyIndex(t *testing.T) {
	t.Parallel()
	s := sqliteStore(t)
	if steps := plan(t, s, duplicatesOf(false, 1), "workflow_run_x"); !strings.Contains(strings.Join(steps, "; "), "INDEX runs_dup_key") {
		t.Errorf("the duplicates of a run are found by %q", steps)
	}
	// An arriving run's earlier duplicate is told of it the same way.
	if steps := plan(t, s, `SELECT `+firstOther+` FROM runs r WHERE r.id = ?`, "workflow_run_x"); !strings.Contains(strings.Join(steps, "; "), "INDEX runs_dup_key") {
		t.Errorf("an arriving run's duplicate is found by %q", steps)
	}
}

// TestSearchOnPostgresAsksTheIndexForTheRarestWord: on PostgreSQL a
// search of several words reads the runs of its rarest-looking word and
// checks the others on those rows; the word every run holds is never put
// to the word index (a GIN index gathers every run of a prefix term before
// the AND is taken: all of them, for "invoice:*").
func TestSearchOnPostgresAsksTheIndexForTheRarestWord(t *testing.T) {
	t.Parallel()
	s := postgresRuns(t, 50, func(i int) string {
		return fmt.Sprintf(`"files":[{"id":"file_%d","name":"invoice-%04d.pdf","type":"PDF"}]`, i, i)
	})
	ctx := context.Background()
	where, args, err := searchWhere(ctx, s.r, true, "invoice-0042")
	if err != nil {
		t.Fatal(err)
	}
	rare := false
	explain(t, s.r, `SELECT id FROM runs WHERE `+where, args, func(n map[string]any) {
		reads := n["Relation Name"] == "run_text" || n["Index Name"] == "run_text_tsv"
		for _, k := range []string{"Index Cond", "Recheck Cond", "Filter"} {
			c, _ := n[k].(string)
			if !reads || n["Actual Loops"] == 0.0 {
				continue
			}
			if strings.Contains(c, "invoice") {
				t.Errorf("%s %s: %s, run %v times", n["Node Type"], k, c, n["Actual Loops"])
			}
			rare = rare || strings.Contains(c, "0042")
		}
	})
	if !rare {
		t.Error("the runs of 0042 were not read")
	}
}

// TestSearchOnPostgresReadsAShortPendingList: PostgreSQL's word index
// keeps the words of new runs in a pending list that every search reads
// whole, up to 4 MB by default (358 pages, 2.5 to 7 ms of a search at
// 1,000,000 runs); the index keeps it to 256 kB. Runs of many words fill
// well past that here, and a search of one rare word reads a few dozen
// pages of the index, not hundreds.
func TestSearchOnPostgresReadsAShortPendingList(t *testing.T) {
	t.Parallel()
	s := postgresRuns(t, 150, func(i int) string {
		var fields []string
		for f := range 200 {
			fields = append(fields, fmt.Sprintf(`"f%d":{"type":"string","value":"w%d"}`, f, i*200+f))
		}
		return fmt.Sprintf(`"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{%s}}]`, i, strings.Join(fields, ","))
	})
	// So few runs are read faster without the index: have PostgreSQL use it.
	tx, err := s.r.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(context.Background(), `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	pages := -1.0
	explain(t, tx, `SELECT run_id FROM run_text WHERE tsv @@ to_tsquery('simple', 'w4242:*')`, nil, func(n map[string]any) {
		if n["Index Name"] == "run_text_tsv" {
			pages = n["Shared Hit Blocks"].(float64) + n["Shared Read Blocks"].(float64)
		}
	})
	if pages < 0 || pages > 48 {
		t.Errorf("a search of one word read %v pages of the word index", pages)
	}
}

// postgresRuns is storeRuns on PostgreSQL.
func postgresRuns(t *testing.T, n int, more func(i int) string) *Store {
	t.Helper()
	return storeRuns(t, pgtest.URL(t), n, more)
}

// storeRuns is a store on db ("" for SQLite) holding n waiting runs, run i
// with the members more(i) of its payload.
func storeRuns(t *testing.T, db string, n int, more func(i int) string) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var outs []review.EventOutcome
	for i := range n {
		p := fmt.Sprintf(`{"object":"workflow_run","id":"workflow_run_%d","status":"NEEDS_REVIEW",%s}`, i, more(i))
		c, err := review.Interpret(review.Event{ID: fmt.Sprint("e", i), Type: review.EventRunNeedsReview, Payload: []byte(p)})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, review.EventOutcome{Change: c})
	}
	if _, err := desk.New(s, nil, nil, nil).Arrive(context.Background(), outs); err != nil {
		t.Fatal(err)
	}
	return s
}

// explain runs q under PostgreSQL's EXPLAIN ANALYZE and hands each node of
// its plan to visit.
func explain(t *testing.T, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, q string, args []any, visit func(node map[string]any)) {
	t.Helper()
	var out []byte
	if err := db.QueryRowContext(context.Background(), `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+q, args...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plans []struct{ Plan map[string]any }
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		visit(n)
		subs, _ := n["Plans"].([]any)
		for _, sub := range subs {
			walk(sub.(map[string]any))
		}
	}
	walk(plans[0].Plan)
	if t.Failed() {
		t.Logf("the plan: %s", out)
	}
}

// TestSearchOfCommonWordsReadsThePageInOrder: a search whose every word is
// in more than searchCandidates runs reads the page's runs in the page's
// order and checks each for the words, stopping at the page's end, instead
// of asking the word index for every run of every word; the page is then
// those runs by their ids. Words each common but never together ("acme
// globex") find too few in searchWalk runs, and the word index answers.
// On PostgreSQL the walk never reads the word index: it reads each run's
// words by the run's id, and stops where the page ends.
func TestSearchOfCommonWordsReadsThePageInOrder(t *testing.T) {
	pgtest.Each(t, testSearchOfCommonWordsReadsThePageInOrder)
}

func testSearchOfCommonWordsReadsThePageInOrder(t *testing.T) {
	const n = 2*searchCandidates + 100
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	s := storeRuns(t, pgtest.DB(t), n, func(i int) string {
		// Queued and sure in orders other than the ids'.
		return fmt.Sprintf(`"initialRunAt":%q,"files":[{"id":"file_%d","name":"invoice-%04d.pdf","type":"PDF"}],
			"outputs":[{"id":"dpr_%d","type":"EXTRACT","output":{"vendor":{"type":"string","value":%q,"confidence":0.%02d}}}]`,
			start.Add(time.Duration(i*37%n)*time.Minute).Format(time.RFC3339), i, i, i, []string{"Acme", "Globex"}[i%2], i*13%97)
	})
	ctx := context.Background()
	// The pages are those the word index finds, in every order, page by page.
	for _, q := range []string{"invoice acme", "globex", "acme globex", "invoice-0042", "invoice 1"} {
		for _, sort := range []string{"", "oldest", "newest", "confidence"} {
			f := review.QueueFilter{Search: q, Sort: sort, Limit: 100}
			for page := 0; page < 2; page++ {
				runs, next, err := s.Queue(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				where, args, err := queueWhere(ctx, s.r, f, s.now())
				if err != nil {
					t.Fatal(err)
				}
				if f.After != "" {
					key, id, _ := decodeQueueCursor(f.After)
					op := map[bool]string{true: "<", false: ">"}[sort == "newest"]
					where, args = where+" AND ("+queueKey(sort)+", id) "+op+" (?, ?)", append(args, key, id)
				}
				want := column(t, s.r, `SELECT id FROM runs WHERE `+where+` ORDER BY `+queueOrder(sort)+` LIMIT 100`, args)
				var got []string
				for _, r := range runs {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%q by %q, page %d: %d runs %.3v, the word index finds %d %.3v", q, sort, page+1, len(got), got, len(want), want)
				}
				if f.After = next; next == "" {
					break
				}
			}
		}
	}
	for q, walked := range map[string]bool{"invoice acme": true, "INVOICE": true, "globex": true, "acme globex": false} {
		query, args, err := s.queueQuery(ctx, review.QueueFilter{Search: q, Sort: "oldest", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if byIDs := !strings.Contains(query, "run_text"); byIDs != walked {
			t.Errorf("%q: the page by the ids walked to: %v (%s)", q, byIDs, query)
		}
		if walked && len(args) > 120 {
			t.Errorf("%q: %d arguments, more than a page's ids", q, len(args))
		}
	}
	if !s.r.pg {
		return
	}
	where, args, err := queueWhere(ctx, s.r, review.QueueFilter{}, s.now())
	if err != nil {
		t.Fatal(err)
	}
	q, args := pgSearchWalk(where, args, queueOrder("oldest"), []string{"invoice", "acme"}, "invoice acme", 101)
	read := false
	explain(t, s.r, q, args, func(n map[string]any) {
		if n["Relation Name"] != "run_text" && n["Index Name"] != "run_text_tsv" {
			return
		}
		read = true
		if n["Index Name"] != "run_text_pkey" || n["Actual Loops"].(float64) > 2*101+1 {
			t.Errorf("the walk read the words by %s %v, %v times, for a page of 101 half of whose runs match", n["Node Type"], n["Index Name"], n["Actual Loops"])
		}
	})
	if !read {
		t.Error("the walk read no words")
	}
}

// column is the one column of text q selects, row by row.
func column(t *testing.T, db querier, q string, args []any) []string {
	t.Helper()
	var out []string
	err := queryRows(context.Background(), db, q, args, func(rows *sql.Rows) error {
		var v string
		err := rows.Scan(&v)
		out = append(out, v)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
