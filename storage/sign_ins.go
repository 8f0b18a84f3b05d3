package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SignInFailures returns the times of the failed sign-ins recorded under
// each key since since, oldest first.
func (s *Store) SignInFailures(ctx context.Context, keys []string, since time.Time) (map[string][]time.Time, error) {
	args := []any{ms(since)}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT key, at FROM sign_in_failures WHERE at >= ? AND key IN (`+placeholders(len(keys))+`) ORDER BY at`, args...)
	if err != nil {
		return nil, fmt.Errorf("sign-in failures: %w", err)
	}
	defer rows.Close()
	out := map[string][]time.Time{}
	for rows.Next() {
		var k string
		var at int64
		if err := rows.Scan(&k, &at); err != nil {
			return nil, fmt.Errorf("sign-in failures: %w", err)
		}
		out[k] = append(out[k], fromMS(at))
	}
	return out, rows.Err()
}

// FailSignIn records a failed sign-in at at under each key, and forgets
// every failure from before before: the table holds one window's worth.
func (s *Store) FailSignIn(ctx context.Context, keys []string, at, before time.Time) error {
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE at < ?`, ms(before)); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (key, at) VALUES (?, ?)`, k, ms(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fail sign-in: %w", err)
	}
	return nil
}

// ForgetSignIns drops the failures recorded under keys.
func (s *Store) ForgetSignIns(ctx context.Context, keys []string) error {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key IN (`+placeholders(len(keys))+`)`, args...); err != nil {
		return fmt.Errorf("forget sign-ins: %w", err)
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
