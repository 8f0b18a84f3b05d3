package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reviewer-app/reviewer/review"
)

// Users lists everyone who can sign in.
func (s *Store) Users(ctx context.Context) ([]review.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, email, name, role, disabled, created_at FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []review.User
	for rows.Next() {
		var u review.User
		var role string
		var created int64
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Disabled, &created); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		u.Role, u.CreatedAt = review.Role(role), fromMS(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser changes a user's role, disables or enables them, or keeps the
// hash of a new password (each when given, as desk checked it and hashed
// the password: review.UserChange).
func (s *Store) UpdateUser(ctx context.Context, id int64, role *review.Role, disabled *bool, hash []byte) error {
	return s.write(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, id).Scan(&n); err != nil || n == 0 {
			if err == nil {
				err = review.Errorf(review.ENOTFOUND, "no user %d", id)
			}
			return err
		}
		if role != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, string(*role), id); err != nil {
				return err
			}
		}
		if disabled != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, *disabled, id); err != nil {
				return err
			}
		}
		if hash != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// EndSessions ends every session of a user.
func (s *Store) EndSessions(ctx context.Context, userID int64) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// Tokens lists API tokens (never the tokens themselves).
func (s *Store) Tokens(ctx context.Context) ([]review.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []review.Token
	for rows.Next() {
		var t review.Token
		var role string
		var created int64
		var used, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &role, &created, &used, &revoked); err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		t.Role, t.CreatedAt = review.Role(role), fromMS(created)
		if used.Valid {
			u := fromMS(used.Int64)
			t.LastUsedAt = &u
		}
		if revoked.Valid {
			r := fromMS(revoked.Int64)
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends an API token.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return review.Errorf(review.ENOTFOUND, "no live token %d", id)
	}
	return nil
}

// LogAdmin records what an admin did.
func (s *Store) LogAdmin(ctx context.Context, actor, action, target string) error {
	_, err := s.exec(ctx, `INSERT INTO admin_log (at, actor, action, target) VALUES (?, ?, ?, ?)`, ms(s.now()), actor, action, target)
	if err != nil {
		return fmt.Errorf("admin log: %w", err)
	}
	return nil
}

// AdminLog returns the newest admin actions.
func (s *Store) AdminLog(ctx context.Context, limit int) ([]review.AdminEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, actor, action, target FROM admin_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("admin log: %w", err)
	}
	defer rows.Close()
	var out []review.AdminEntry
	for rows.Next() {
		var e review.AdminEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Target); err != nil {
			return nil, fmt.Errorf("admin log: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
