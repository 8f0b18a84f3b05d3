package storage

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// AddDestination records where decisions are sent.
func (s *Store) AddDestination(ctx context.Context, d review.Destination) (int64, error) {
	var id int64
	err := s.write(ctx, func(tx *txn) error {
		if tx.pg { // none commits between a delivering write's reading and its commit
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, lockDestinations); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `INSERT INTO destinations (url, secret, events, workflows, allow_private, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			d.URL, d.Secret, strings.Join(d.Events, ","), strings.Join(d.Workflows, ","), d.AllowPrivate, ms(s.now())).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("add destination: %w", err)
	}
	return id, nil
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
		d.Events, d.Workflows = review.SplitList(events), review.SplitList(workflows)
		out = append(out, d)
	}
	return out, rows.Err()
}

// enqueue writes what a decision sends on into the outbox, inside the
// decision's transaction: its calls to Extend, and its event for the
// destinations desk chose (see deliver).
func (s *Store) enqueue(ctx context.Context, tx *txn, runID string, o review.Outbound) error {
	if err := tell(tx, "outbox"); err != nil {
		return err
	}
	now := ms(s.now())
	due := max(now, ms(o.NotBefore))
	for _, k := range []struct {
		kind  string
		calls []review.ExtendCall
	}{{review.OutboxExtendCall, o.Calls}, {review.OutboxEvalItem, o.Items}} {
		for _, c := range k.calls {
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (kind, run_id, api_version, path, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				k.kind, runID, c.APIVersion, c.Path, c.Body, now, due); err != nil {
				return err
			}
		}
	}
	if o.EventType == "" {
		return nil
	}
	return deliver(ctx, tx, runID, o, now, due)
}

// deliver writes o's event into the outbox for each destination desk chose
// (o.To), only while the destinations are as desk read them to choose
// (o.Seen), else review.ErrDestinationsChanged: one added or changed since
// is neither missed nor sent what it did not ask for.
func deliver(ctx context.Context, tx *txn, runID string, o review.Outbound, now, due int64) error {
	if tx.pg { // AddDestination waits for this write's commit
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared(?)`, lockDestinations); err != nil {
			return err
		}
	}
	ds, err := destinations(ctx, tx)
	if err != nil {
		return err
	}
	if !slices.EqualFunc(ds, o.Seen, func(a, b review.Destination) bool { return reflect.DeepEqual(a, b) }) {
		return review.ErrDestinationsChanged
	}
	for _, id := range o.To {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (kind, destination_id, run_id, event_id, event_type, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			review.OutboxDelivery, id, runID, o.EventID, o.EventType, o.Body, now, due); err != nil {
			return err
		}
	}
	return nil
}

// Due returns outbox items whose next attempt is due and that are first in
// line: a run's events reach each destination, and its calls reach Extend,
// in the order of its decisions. Evaluation-set items keep no order (each
// is an output of its own), so a run's items go out in one batch.
func (s *Store) Due(ctx context.Context, limit int) ([]review.Delivery, error) {
	return s.outboxItems(ctx, `WHERE o.state = 'pending' AND o.next_attempt_at <= ?
		AND (o.kind = 'eval_item' OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.kind = o.kind AND e.run_id = o.run_id AND e.destination_id IS NOT DISTINCT FROM o.destination_id
			AND e.id < o.id AND e.state = 'pending'))
		ORDER BY o.id LIMIT ?`, ms(s.now()), limit)
}

// RecentDeliveries lists the newest deliveries to destinations, for the admin.
func (s *Store) RecentDeliveries(ctx context.Context, limit int) ([]review.Delivery, error) {
	return s.outboxItems(ctx, `WHERE o.kind = 'delivery' ORDER BY o.id DESC LIMIT ?`, limit)
}

// RecentCalls lists the newest calls to Extend and evaluation-set items,
// for the admin.
func (s *Store) RecentCalls(ctx context.Context, limit int) ([]review.Delivery, error) {
	return s.outboxItems(ctx, `WHERE o.kind != 'delivery' ORDER BY o.id DESC LIMIT ?`, limit)
}

// RunCalls lists what a run's decisions sent to Extend (calls and
// evaluation-set items), oldest first, for its page.
func (s *Store) RunCalls(ctx context.Context, runID string) ([]review.Delivery, error) {
	return s.outboxItems(ctx, `WHERE o.run_id = ? AND o.kind != 'delivery' ORDER BY o.id LIMIT ?`, runID, maxRunCalls)
}

// maxRunCalls bounds what a run's page lists: a run has an item per output
// and a call per decision, far fewer unless it was decided again and again.
const maxRunCalls = 200

func (s *Store) outboxItems(ctx context.Context, where string, args ...any) ([]review.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.kind, coalesce(o.destination_id, 0), coalesce(t.url, ''), coalesce(t.secret, ''), coalesce(t.allow_private, 0),
		o.run_id, o.event_id, o.event_type, o.api_version, o.path, o.body, o.state, o.attempts, o.last_status, o.last_error, o.created_at, o.delivered_at,
		coalesce((SELECT a.snippet FROM outbox_attempts a WHERE a.item_id = o.id ORDER BY a.id DESC LIMIT 1), ''),
		o.result, o.next_attempt_at, coalesce(f.api_url, ''), coalesce(f.api_key, '')
		FROM outbox o LEFT JOIN destinations t ON t.id = o.destination_id
		LEFT JOIN runs r ON o.kind != 'delivery' AND r.id = o.run_id
		LEFT JOIN feedback_rules f ON f.workflow_id = r.workflow_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var out []review.Delivery
	for rows.Next() {
		var d review.Delivery
		var created, next int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Kind, &d.DestinationID, &d.URL, &d.Secret, &d.AllowPrivate, &d.RunID, &d.EventID, &d.EventType, &d.APIVersion, &d.Path,
			&d.Body, &d.State, &d.Attempts, &d.LastStatus, &d.LastError, &created, &delivered, &d.LastSnippet, &d.Result, &next, &d.APIURL, &d.APIKey); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		d.CreatedAt, d.NextAttemptAt = fromMS(created), fromMS(next)
		if delivered.Valid {
			t := fromMS(delivered.Int64)
			d.DeliveredAt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Attempt records one try of an outbox item: done (with what Extend made
// of it, result), or failed and due again at retryAt (zero: given up, dead).
func (s *Store) Attempt(ctx context.Context, id int64, status int, snippet, errText, result string, done bool, retryAt time.Time) error {
	now := ms(s.now())
	return s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attempts (item_id, at, status, snippet, error) VALUES (?, ?, ?, ?, ?)`, id, now, status, snippet, errText); err != nil {
			return err
		}
		state, next := review.DeliveryPending, ms(retryAt)
		var doneAt any
		switch {
		case done:
			state, doneAt = review.DeliveryDelivered, now
		case retryAt.IsZero():
			state = review.DeliveryDead
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?, result = ? WHERE id = ?`,
			state, next, status, errText, doneAt, result, id)
		return err
	})
}

// Redeliver puts a dead (or delivered) outbox item back in line now.
func (s *Store) Redeliver(ctx context.Context, id int64) error {
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'pending', next_attempt_at = 0 WHERE id = ? AND state != 'pending'`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return review.Errorf(review.ENOTFOUND, "no finished delivery %d", id)
		}
		tx.after = append(tx.after, s.outbox.Notify)
		return tell(tx, "outbox")
	})
	if err != nil {
		return fmt.Errorf("redeliver: %w", err)
	}
	return nil
}
