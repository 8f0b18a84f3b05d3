// Package outbound sends decided runs downstream: from the outbox that the
// decision's transaction wrote, each delivery is posted in Extend's own
// envelope and signed the way Extend signs, retried with exponential backoff
// and jitter for more than a day, and given up (dead, visible to an admin)
// only after that. A run's events reach a destination in decision order.
// Calls to Extend's API wait in the same outbox and are retried the same
// way; evaluation-set items go in batches, one call per set and account.
package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/reviewer-app/reviewer/egress"
	"github.com/reviewer-app/reviewer/extend"
	"github.com/reviewer-app/reviewer/review"
)

// GiveUpAfter is how long a delivery is retried before it is dead.
const GiveUpAfter = 26 * time.Hour

// ErrPrivate is a refused connection to a private, loopback or link-local
// address (a server-side request forgery guard).
var ErrPrivate = errors.New("refused: the address is private (allow private addresses for this destination to send there)")

// client posts deliveries: the egress guard unless the destination allows
// private addresses, and no redirect followed (a 302 answered as a GET
// without the body would otherwise be recorded as delivered).
func client(allowPrivate bool) *http.Client {
	return egress.Client(egress.Options{Timeout: 30 * time.Second, AllowPrivate: allowPrivate, NoRedirects: true})
}

// Store is the outbox the worker drains.
type Store interface {
	Outbox() <-chan struct{} // closed when work is next written; take it before looking
	Due(ctx context.Context, limit int) ([]review.Delivery, error)
	Attempt(ctx context.Context, id int64, status int, snippet, errText, result string, done bool, retryAt time.Time) error
}

// Worker delivers due deliveries until its context ends.
type Worker struct {
	Store   Store
	Extend  *extend.Client // for feedback calls; may be unconfigured
	Log     *slog.Logger
	Now     func() time.Time
	Backoff func(attempt int) time.Duration

	public, private   *http.Client
	accounts          map[string]*extend.Client // workflows' own Extend accounts, by URL and key
	Delivered, Failed atomic.Int64
}

// api is the client for an Extend call: the workflow's own account, if its
// rule names one, else the server's.
func (w *Worker) api(d review.Delivery) *extend.Client {
	if d.APIURL == "" && d.APIKey == "" {
		return w.Extend
	}
	k := d.APIURL + "\x00" + d.APIKey
	c, ok := w.accounts[k]
	if !ok {
		if w.accounts == nil {
			w.accounts = map[string]*extend.Client{}
		}
		c = w.Extend.As(d.APIURL, d.APIKey)
		w.accounts[k] = c
	}
	return c
}

// NewWorker returns a delivery worker over store.
func NewWorker(store Store, api *extend.Client, log *slog.Logger) *Worker {
	return &Worker{Store: store, Extend: api, Log: log, Now: time.Now, Backoff: Backoff, public: client(false), private: client(true)}
}

// Backoff waits 10 s, then twice as long each time up to an hour, with up
// to 20% jitter.
func Backoff(attempt int) time.Duration {
	d := min(10*time.Second<<min(attempt, 12), time.Hour)
	return d + time.Duration(rand.Int64N(int64(d/5)+1))
}

// Run delivers until ctx ends. What is due stays due across restarts.
func (w *Worker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		wake := w.Store.Outbox() // before looking: a decision meanwhile wakes the wait below
		n, err := w.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("deliveries", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(time.Second): // retries come due with time
		}
	}
}

// EvalBatchMax is how many evaluation-set items go in one call: the most
// Extend's POST /evaluation_sets/{id}/items takes at a time.
const EvalBatchMax = 100

// evalAnswerLimit bounds the answer to a batch that is read: Extend echoes
// each item's expected output beside its id. Past it the items are still
// recorded as added, without their ids.
const evalAnswerLimit = 16 << 20

// DeliverDue makes one attempt at each due outbox item (a delivery to a
// destination, a call to Extend, evaluation-set items in batches) and
// returns how many: one loop, one backoff, a sender per kind.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	due, err := w.Store.Due(ctx, EvalBatchMax)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	var batches [][]review.Delivery
	at := map[string]int{} // a batch's index by where its items go
	for _, d := range due {
		if d.Kind != review.OutboxEvalItem {
			batches = append(batches, []review.Delivery{d})
			continue
		}
		to := d.APIURL + "\x00" + d.APIKey + "\x00" + d.APIVersion + "\x00" + d.Path
		if i, ok := at[to]; ok {
			batches[i] = append(batches[i], d)
			continue
		}
		at[to] = len(batches)
		batches = append(batches, []review.Delivery{d})
	}
	for _, b := range batches {
		if err := w.attempt(ctx, b); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// attempt makes one try at an item, or at a batch of evaluation-set items
// bound for one set, and records it for each.
func (w *Worker) attempt(ctx context.Context, batch []review.Delivery) error {
	d := batch[0]
	var status int
	var snippet string
	var results []string
	var wait time.Duration
	var err error
	switch d.Kind {
	case review.OutboxEvalItem:
		var a extend.Answer
		a, results, err = w.addItems(ctx, batch)
		status, snippet, wait = a.Status, snip(a.Body), a.RetryAfter
		if len(batch) > 1 && (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) {
			// One item Extend refuses would keep the rest out: each is tried
			// alone, so only that one fails.
			for _, d := range batch {
				if err := w.attempt(ctx, []review.Delivery{d}); err != nil {
					return err
				}
			}
			return nil
		}
	case review.OutboxExtendCall:
		var a extend.Answer
		a, err = w.api(d).Send(ctx, d.Path, d.APIVersion, d.Body, 512)
		status, snippet, wait = a.Status, snip(a.Body), a.RetryAfter
	default:
		status, snippet, err = w.send(ctx, d)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ok := err == nil && status >= 200 && status < 300
	errText := ""
	switch {
	case err != nil:
		errText = err.Error()
	case !ok && status >= 300 && status < 400:
		errText = "HTTP " + strconv.Itoa(status) + ", " + snippet
	case !ok && d.Kind != review.OutboxDelivery:
		errText = "HTTP " + strconv.Itoa(status) + ": " + snippet
	case !ok:
		errText = "HTTP " + strconv.Itoa(status)
	}
	// One wait for the whole batch: each item drawing its own jittered
	// backoff would split it into a call per item when tried again.
	retry := w.Now().Add(max(w.Backoff(d.Attempts), wait))
	for i, d := range batch {
		var retryAt time.Time
		if !ok && !permanent(d, status, err) && w.Now().Sub(d.CreatedAt) < GiveUpAfter {
			retryAt = retry
		}
		if ok {
			w.Delivered.Add(1)
		} else {
			w.Failed.Add(1)
			w.Log.Warn("outbox item failed", "kind", d.Kind, "id", d.ID, "to", d.URL+d.Path, "attempt", d.Attempts+1, "err", errText, "retry_at", retryAt)
		}
		result := ""
		if ok && i < len(results) {
			result = results[i]
		}
		if err := w.Store.Attempt(ctx, d.ID, status, snippet, errText, result, ok, retryAt); err != nil {
			return err
		}
	}
	return nil
}

// addItems posts a batch of evaluation-set items, {"items": [...]} as
// Extend's SDK sends it, and returns the ids Extend gave them, in order.
func (w *Worker) addItems(ctx context.Context, batch []review.Delivery) (extend.Answer, []string, error) {
	body := []byte(`{"items":[`)
	for i, d := range batch {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, d.Body...)
	}
	body = append(body, "]}"...)
	d := batch[0]
	a, err := w.api(d).Send(ctx, d.Path, d.APIVersion, body, evalAnswerLimit)
	if err != nil || a.Status < 200 || a.Status >= 300 {
		return a, nil, err
	}
	var created struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"evaluationSetItems"`
	}
	if json.Unmarshal(a.Body, &created) != nil || len(created.Items) != len(batch) {
		return a, nil, nil // added, as Extend said; which id is whose is not known
	}
	ids := make([]string, len(batch))
	for i, it := range created.Items {
		ids[i] = it.ID
	}
	return a, ids, nil
}

// snip is the start of an answer, for the log and the admin.
func snip(b []byte) string {
	return strings.TrimSpace(string(b[:min(len(b), 512)]))
}

// permanent tells a failure that trying again cannot mend: a refused
// private address; for Extend, no key, a refused key, a bad or missing path.
func permanent(d review.Delivery, status int, err error) bool {
	if d.Kind != review.OutboxDelivery {
		return errors.Is(err, extend.ErrNoKey) || status == http.StatusUnauthorized || status == http.StatusNotFound || status == http.StatusBadRequest ||
			status == http.StatusUnprocessableEntity
	}
	return errors.Is(err, ErrPrivate)
}

// send posts one delivery, signed, and returns the status and the start of
// the answer.
func (w *Worker) send(ctx context.Context, d review.Delivery) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "", err
	}
	ts := w.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reviewer")
	req.Header.Set(review.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(review.HeaderSignature, review.Sign(d.Secret, ts, d.Body))
	c := w.public
	if d.AllowPrivate {
		c = w.private
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, egress.ErrPrivate) {
			return 0, "", ErrPrivate
		}
		return 0, "", fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp.StatusCode, "redirected to " + resp.Header.Get("Location") + " (deliveries do not follow redirects: give the final URL)", nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}
