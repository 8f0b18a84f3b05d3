package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// maxRowsPerStatement bounds the rows one statement writes or names: 19
// values a row (the widest, runs) times 256 stays far below SQLite's 32,766
// variables and PostgreSQL's 65,535.
const maxRowsPerStatement = 256

// values returns rows groups of cols placeholders, "(?, ?), (?, ?)", or
// for PostgreSQL numbered from first, "($1, $2), ($3, $4)". Numbered here,
// the statement is not rewritten (nor kept) by bind, whose cache would
// otherwise hold a statement for every count of rows.
func values(pg bool, first, rows, cols int) string {
	groups := make([]string, rows)
	for r := range groups {
		groups[r] = ids(pg, first+r*cols, cols)
	}
	return strings.Join(groups, ", ")
}

// ids returns "(?, ?, …)" for n values, numbered from first for PostgreSQL.
func ids(pg bool, first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "?"
		if pg {
			ps[i] = "$" + strconv.Itoa(first+i)
		}
	}
	return "(" + strings.Join(ps, ", ") + ")"
}

// execRows runs head + VALUES rows + tail for args, rows of cols values
// each, in statements of at most maxRowsPerStatement rows.
func execRows(ctx context.Context, tx *txn, head, tail string, cols int, args []any) error {
	for len(args) > 0 {
		n := min(len(args)/cols, maxRowsPerStatement)
		if _, err := tx.ExecContext(ctx, head+values(tx.pg, 1, n, cols)+" "+tail, args[:n*cols]...); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

// queryRows runs q, in a transaction or on a pool, and calls scan for
// each row.
func queryRows(ctx context.Context, db querier, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
