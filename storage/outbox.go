package storage

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// AddDestination records where decisions are sent.
func (s *Store) AddDestination(ctx context.Context, d review.Destination) (int64, error) {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return 0, review.Errorf(review.EINVALID, "%q is not an http(s) URL", d.URL)
	}
	if len(d.Secret) < 16 {
		return 0, review.Errorf(review.EINVALID, "the signing secret must be at least 16 characters")
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO destinations (url, secret, events, workflows, allow_private, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.URL, d.Secret, strings.Join(d.Events, ","), strings.Join(d.Workflows, ","), d.AllowPrivate, ms(s.now()))
	if err != nil {
		return 0, fmt.Errorf("add destination: %w", err)
	}
	return res.LastInsertId()
}

// Destinations lists the destinations.
func (s *Store) Destinations(ctx context.Context) ([]review.Destination, error) {
	return destinations(ctx, s.r)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func destinations(ctx context.Context, q querier) ([]review.Destination, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, url, secret, events, workflows, allow_private, disabled FROM destinations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("destinations: %w", err)
	}
	defer rows.Close()
	var out []review.Destination
	for rows.Next() {
		var d review.Destination
		var events, workflows string
		if err := rows.Scan(&d.ID, &d.URL, &d.Secret, &events, &workflows, &d.AllowPrivate, &d.Disabled); err != nil {
			return nil, fmt.Errorf("destinations: %w", err)
		}
		d.Events, d.Workflows = SplitList(events), SplitList(workflows)
		out = append(out, d)
	}
	return out, rows.Err()
}

// SplitList reads a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// enqueue writes the outbound event's deliveries inside the decision's
// transaction.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, runID, workflowID string, o review.Outbound) error {
	if err := s.enqueueCalls(ctx, tx, runID, o.Calls); err != nil {
		return err
	}
	if o.EventType == "" {
		return nil
	}
	ds, err := destinations(ctx, tx)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if !d.Wants(o.EventType, workflowID) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (destination_id, run_id, event_id, event_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			d.ID, runID, o.EventID, o.EventType, o.Body, ms(s.now())); err != nil {
			return err
		}
	}
	return nil
}

// DueDeliveries returns deliveries whose next attempt is due and that are
// first in line for their run and destination: a run's events arrive in the
// order of its decisions.
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]review.Delivery, error) {
	return s.deliveries(ctx, `WHERE d.state = 'pending' AND d.next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.destination_id = d.destination_id AND e.run_id = d.run_id AND e.id < d.id AND e.state = 'pending')
		ORDER BY d.id LIMIT ?`, ms(s.now()), limit)
}

// RecentDeliveries lists the newest deliveries, for the admin.
func (s *Store) RecentDeliveries(ctx context.Context, limit int) ([]review.Delivery, error) {
	return s.deliveries(ctx, `ORDER BY d.id DESC LIMIT ?`, limit)
}

func (s *Store) deliveries(ctx context.Context, where string, args ...any) ([]review.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.destination_id, t.url, t.secret, t.allow_private, d.run_id, d.event_id, d.event_type, d.body, d.state, d.attempts,
		d.last_status, d.last_error, d.created_at, d.delivered_at,
		coalesce((SELECT a.snippet FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.rowid DESC LIMIT 1), '')
		FROM deliveries d JOIN destinations t ON t.id = d.destination_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	var out []review.Delivery
	for rows.Next() {
		var d review.Delivery
		var created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.DestinationID, &d.URL, &d.Secret, &d.AllowPrivate, &d.RunID, &d.EventID, &d.EventType, &d.Body, &d.State, &d.Attempts,
			&d.LastStatus, &d.LastError, &created, &delivered, &d.LastSnippet); err != nil {
			return nil, fmt.Errorf("deliveries: %w", err)
		}
		d.CreatedAt = fromMS(created)
		if delivered.Valid {
			t := fromMS(delivered.Int64)
			d.DeliveredAt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Attempt records one try of a delivery: delivered, or failed and due again
// at retryAt (zero: given up, dead).
func (s *Store) Attempt(ctx context.Context, id int64, status int, snippet, errText string, delivered bool, retryAt time.Time) error {
	now := ms(s.now())
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, at, status, snippet, error) VALUES (?, ?, ?, ?, ?)`, id, now, status, snippet, errText); err != nil {
			return err
		}
		state, next := review.DeliveryPending, ms(retryAt)
		var deliveredAt any
		switch {
		case delivered:
			state, deliveredAt = review.DeliveryDelivered, now
		case retryAt.IsZero():
			state = review.DeliveryDead
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
			state, next, status, errText, deliveredAt, id)
		return err
	})
}

// Redeliver puts a dead (or delivered) delivery back in line now.
func (s *Store) Redeliver(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', next_attempt_at = 0 WHERE id = ? AND state != 'pending'`, id)
	if err != nil {
		return fmt.Errorf("redeliver: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return review.Errorf(review.ENOTFOUND, "no finished delivery %d", id)
	}
	s.outbox.Notify()
	return nil
}
