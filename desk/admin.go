package desk

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/reviewer-app/reviewer/review"
)

// Admin is what the admin's and the accounts' use-cases need persisted.
// Each write is made as it is told; what may be written is checked here,
// by review's rules, before.
type Admin interface {
	CreateUser(ctx context.Context, email, name string, role review.Role, hash []byte) (review.User, error)
	CreateFirstAdmin(ctx context.Context, email, name string, hash []byte) (review.User, error)
	UpdateUser(ctx context.Context, id int64, role *review.Role, disabled *bool, hash []byte) error
	EndSessions(ctx context.Context, userID int64) error
	CreateToken(ctx context.Context, name string, role review.Role) (string, error)
	RevokeToken(ctx context.Context, id int64) error
	AddDestination(ctx context.Context, d review.Destination) (int64, error)
	SetRoutingRule(ctx context.Context, r review.RoutingRule) error
	SetFeedbackRule(ctx context.Context, r review.FeedbackRule) error
	SetSetting(ctx context.Context, key, value string) error
	Setting(ctx context.Context, key, def string) (string, error)
	SetServiceLevel(ctx context.Context, workflowID string, within time.Duration, actor string) error
	SetQARule(ctx context.Context, r review.QARule) error
	Redeliver(ctx context.Context, id int64) error
	Replay(ctx context.Context, eventID string) error
	LogAdmin(ctx context.Context, actor, action, target string) error
	Account(ctx context.Context, email string) (review.Account, error)
	CreateSession(ctx context.Context, userID int64) (string, error)
	SessionKeys(ctx context.Context) ([][]byte, error)
	SetSessionKeys(ctx context.Context, keys, was [][]byte) error
	DeleteSession(ctx context.Context, id string) error
	AppendEvent(ctx context.Context, ev review.Event, body []byte) (fresh bool, err error)
	// Atomically makes the writes fn makes with the context it is given
	// one transaction: all are kept, or none.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
}

// logged runs an admin's write and notes it in the admin's log (who did
// what to what) in one transaction: neither is kept without the other.
func (d *Desk) logged(ctx context.Context, actor, action, target string, write func(ctx context.Context) error) error {
	return d.store.Atomically(ctx, func(ctx context.Context) error {
		if err := write(ctx); err != nil {
			return err
		}
		return d.store.LogAdmin(ctx, actor, action, target)
	})
}

// CreateUser adds a person who can sign in, by the account rules
// (review.NewUser).
func (d *Desk) CreateUser(ctx context.Context, actor, email, name string, role review.Role, password string) (review.User, error) {
	u, err := review.NewUser(email, name, role, password)
	if err != nil {
		return review.User{}, err
	}
	hash, err := d.hash(password)
	if err != nil {
		return review.User{}, err
	}
	err = d.logged(ctx, actor, "create user", u.Email, func(ctx context.Context) (err error) {
		u, err = d.store.CreateUser(ctx, u.Email, u.Name, u.Role, hash)
		return err
	})
	return u, err
}

// SetUp makes the installation's first admin, only while nobody has an
// account (the store's insert is conditional on that).
func (d *Desk) SetUp(ctx context.Context, email, name, password string) (review.User, error) {
	u, err := review.NewUser(email, name, review.RoleAdmin, password)
	if err != nil {
		return review.User{}, err
	}
	hash, err := d.hash(password)
	if err != nil {
		return review.User{}, err
	}
	err = d.logged(ctx, u.Email, "set up with first admin", u.Email, func(ctx context.Context) (err error) {
		u, err = d.store.CreateFirstAdmin(ctx, u.Email, u.Name, hash)
		return err
	})
	return u, err
}

// UpdateUser changes an account as an admin asks (review.UserChange), and
// ends its sessions in the same transaction where the change does.
func (d *Desk) UpdateUser(ctx context.Context, by *review.User, id int64, c review.UserChange, action string) error {
	if err := c.Check(by, id); err != nil {
		return err
	}
	var hash []byte
	if c.Password != nil {
		var err error
		if hash, err = d.hash(*c.Password); err != nil {
			return err
		}
	}
	return d.logged(ctx, by.Email, action, strconv.FormatInt(id, 10), func(ctx context.Context) error {
		if err := d.store.UpdateUser(ctx, id, c.Role, c.Disabled, hash); err != nil || !c.EndsSessions() {
			return err
		}
		return d.store.EndSessions(ctx, id)
	})
}

// hash makes the hash a password is kept as, before the write that keeps
// it: bcrypt's quarter second holds no transaction.
func (d *Desk) hash(password string) ([]byte, error) {
	if d.Passwords == nil {
		return nil, errors.New("keep a password: the desk has no password hashing")
	}
	return d.Passwords.Hash(password)
}

// CreateToken makes an API token and returns it, shown this once.
func (d *Desk) CreateToken(ctx context.Context, actor, name string, role review.Role) (string, error) {
	t, err := review.NewToken(name, role)
	if err != nil {
		return "", err
	}
	var tok string
	err = d.logged(ctx, actor, "create token", t.Name, func(ctx context.Context) (err error) {
		tok, err = d.store.CreateToken(ctx, t.Name, t.Role)
		return err
	})
	return tok, err
}

// RevokeToken ends an API token.
func (d *Desk) RevokeToken(ctx context.Context, actor string, id int64) error {
	return d.logged(ctx, actor, "revoke token", strconv.FormatInt(id, 10), func(ctx context.Context) error {
		return d.store.RevokeToken(ctx, id)
	})
}

// AddDestination adds where decided runs are sent.
func (d *Desk) AddDestination(ctx context.Context, actor string, dst review.Destination) (int64, error) {
	if err := dst.Check(); err != nil {
		return 0, err
	}
	var id int64
	err := d.logged(ctx, actor, "add destination", dst.URL, func(ctx context.Context) (err error) {
		id, err = d.store.AddDestination(ctx, dst)
		return err
	})
	return id, err
}

// SetRoutingRule sets which of a workflow's completed runs go to review
// (or, asking for none, removes the rule).
func (d *Desk) SetRoutingRule(ctx context.Context, actor string, r review.RoutingRule) error {
	if err := r.Check(); err != nil {
		return err
	}
	return d.logged(ctx, actor, "set routing rule", r.WorkflowID, func(ctx context.Context) error {
		return d.store.SetRoutingRule(ctx, r)
	})
}

// SetFeedbackRule sets what a workflow's decisions feed back to Extend.
func (d *Desk) SetFeedbackRule(ctx context.Context, actor string, r review.FeedbackRule) error {
	if err := review.CheckFeedbackRule(r); err != nil {
		return err
	}
	if r.Runs == "" {
		r.Runs = review.EvalApproved
	}
	return d.logged(ctx, actor, "set feedback rule", r.WorkflowID, func(ctx context.Context) error {
		return d.store.SetFeedbackRule(ctx, r)
	})
}

// MaxSLA is the longest wait an admin may set: a year, past which the
// dashboard's "overdue" means nothing.
const MaxSLA = 365 * 24 * time.Hour

// SetSLA sets how long a run may wait before it is overdue.
func (d *Desk) SetSLA(ctx context.Context, actor string, sla time.Duration) error {
	if sla <= 0 || sla > MaxSLA {
		return review.Errorf(review.EINVALID, "The SLA is a number of hours.")
	}
	return d.logged(ctx, actor, "set SLA", sla.String(), func(ctx context.Context) error {
		return d.store.SetSetting(ctx, "sla", sla.String())
	})
}

// Redeliver sends a finished delivery again.
func (d *Desk) Redeliver(ctx context.Context, actor string, id int64) error {
	return d.logged(ctx, actor, "redeliver", strconv.FormatInt(id, 10), func(ctx context.Context) error {
		return d.store.Redeliver(ctx, id)
	})
}

// Replay applies a failed webhook event again.
func (d *Desk) Replay(ctx context.Context, actor, eventID string) error {
	return d.logged(ctx, actor, "replay event", eventID, func(ctx context.Context) error {
		return d.store.Replay(ctx, eventID)
	})
}

// MaxDueField bounds the name of the metadata field due times are read
// from: a name, not a document.
const MaxDueField = 200

// SetDueField names the metadata field Extend sends a run's due time in
// (empty: due times come from service levels only).
func (d *Desk) SetDueField(ctx context.Context, actor, field string) error {
	if len(field) > MaxDueField {
		return review.Errorf(review.EINVALID, "The metadata field's name is at most %d characters.", MaxDueField)
	}
	return d.logged(ctx, actor, "set the due time's metadata field", field, func(ctx context.Context) error {
		return d.store.SetSetting(ctx, review.DueFieldSetting, field)
	})
}

// SetThresholds sets how close to its due time a run is marked and how
// long a claim goes unchanged before it is idle, both or neither.
func (d *Desk) SetThresholds(ctx context.Context, actor string, t review.Thresholds) error {
	if err := t.Check(); err != nil {
		return err
	}
	return d.logged(ctx, actor, "set close to due "+review.Short(t.Soon)+", idle after "+review.Short(t.Idle), "", func(ctx context.Context) error {
		if err := d.store.SetSetting(ctx, review.DueSoonSetting, t.Soon.String()); err != nil {
			return err
		}
		return d.store.SetSetting(ctx, review.IdleAfterSetting, t.Idle.String())
	})
}

// Thresholds are the thresholds an admin set, or the defaults.
func (d *Desk) Thresholds(ctx context.Context) (review.Thresholds, error) {
	soon, err := d.store.Setting(ctx, review.DueSoonSetting, "")
	if err != nil {
		return review.DefaultThresholds, err
	}
	idle, err := d.store.Setting(ctx, review.IdleAfterSetting, "")
	if err != nil {
		return review.DefaultThresholds, err
	}
	return review.ReadThresholds(soon, idle), nil
}

// moveBatch is how many waiting runs a change of a service level moves
// per read and write, so the one writer is not held while a long queue
// is moved.
const moveBatch = 500

// SetServiceLevel sets how long a workflow's runs may wait before they are
// due (0: no service level), in the admin's log, and moves the due times
// of its runs waiting for review that have no time of their own from
// Extend, a batch at a time, by the rule an arriving run is due by
// (review.MoveDue). A decided run keeps the due time it was decided
// against: the exports say whether it was late.
func (d *Desk) SetServiceLevel(ctx context.Context, actor, workflowID string, within time.Duration) error {
	if within < 0 || within > review.MaxServiceLevel {
		return review.Errorf(review.EINVALID, "A service level is at most a year; none removes it.")
	}
	if workflowID == "" {
		return review.Errorf(review.EINVALID, "A service level is for a workflow: name one.")
	}
	action := "removed the service level"
	if within > 0 {
		action = "set the service level to " + within.String()
	}
	err := d.logged(ctx, actor, action, workflowID, func(ctx context.Context) error {
		return d.store.SetServiceLevel(ctx, workflowID, within, actor)
	})
	if err != nil {
		return err
	}
	read := func(after string) ([]review.Waiting, error) {
		return d.store.WaitingRuns(ctx, workflowID, after, moveBatch)
	}
	return eachBatch(read,
		func(w review.Waiting) string { return w.RunID },
		func(runs []review.Waiting) error {
			if moves := review.MoveDue(runs, within); len(moves) > 0 {
				return d.store.MoveDue(ctx, workflowID, within, moves)
			}
			return nil
		})
}

// SetQARule sets how many of a workflow's decided runs are drawn for a
// blind QA check, and the fields whose correction always sends a run there:
// each one the workflow's runs have had (KnownFields), or the rule is
// refused with the fields there are.
func (d *Desk) SetQARule(ctx context.Context, actor string, r review.QARule) error {
	if err := r.Check(); err != nil {
		return err
	}
	if len(r.Fields) > 0 {
		if err := d.knownFields(ctx, r.WorkflowID, r.Fields); err != nil {
			return err
		}
	}
	return d.logged(ctx, actor, "set QA sampling", r.WorkflowID, func(ctx context.Context) error {
		return d.store.SetQARule(ctx, r)
	})
}
