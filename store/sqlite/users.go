package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

const userColumns = `id, coalesce(email, ''), time_zone, picks_per_day, digest, created_at`

func scanUser(sc interface{ Scan(...any) error }) (*paperpicks.User, error) {
	var u paperpicks.User
	var created int64
	if err := sc.Scan(&u.ID, &u.Email, &u.TimeZone, &u.PicksPerDay, &u.Digest, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = store.FromMicros(created)
	return &u, nil
}

// nullEmail stores "" as NULL so users without email don't collide on the
// unique index.
func nullEmail(e string) any {
	if e == "" {
		return nil
	}
	return strings.ToLower(e)
}

// isUniqueViolation recognizes SQLite's constraint error text; the driver
// exposes no typed code for it across versions.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func (s *Store) CreateUser(ctx context.Context, u *paperpicks.User, tokenHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, time_zone, picks_per_day, digest, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, tokenHash, store.Micros(u.CreatedAt))
		if isUniqueViolation(err) {
			if strings.Contains(err.Error(), "email") {
				return paperpicks.Errorf(paperpicks.ECONFLICT, "a user with email %q exists", u.Email)
			}
			return paperpicks.Errorf(paperpicks.ECONFLICT, "user %q exists", u.ID)
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return nil
	})
}

func (s *Store) GetUser(ctx context.Context, id string) (*paperpicks.User, error) {
	u, err := scanUser(reader{s}.QueryRowContext(ctx, qGetUser, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.NotFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

func (s *Store) UserByTokenHash(ctx context.Context, tokenHash string) (*paperpicks.User, error) {
	u, err := scanUser(reader{s}.QueryRowContext(ctx, qUserByToken, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no user has this token")
	}
	if err != nil {
		return nil, fmt.Errorf("user by token: %w", err)
	}
	return u, nil
}

func (s *Store) UpdateUser(ctx context.Context, u *paperpicks.User) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, time_zone = ?, picks_per_day = ?, digest = ? WHERE id = ?`,
			nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, u.ID)
		if isUniqueViolation(err) {
			return paperpicks.Errorf(paperpicks.ECONFLICT, "a user with email %q exists", u.Email)
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return paperpicks.NotFound("user", u.ID)
		}
		return nil
	})
}

func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// The user's rows in other tables go with it (ON DELETE CASCADE).
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return paperpicks.NotFound("user", id)
		}
		return nil
	})
}

func (s *Store) ListUsers(ctx context.Context) ([]*paperpicks.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*paperpicks.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) ImportUsers(ctx context.Context, users []store.UserImport) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, ui := range users {
			u := ui.User
			_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, time_zone, picks_per_day, digest, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				u.ID, nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, ui.TokenHash, store.Micros(u.CreatedAt))
			if isUniqueViolation(err) {
				return paperpicks.Errorf(paperpicks.ECONFLICT, "user %q or its email exists", u.ID)
			}
			if err != nil {
				return fmt.Errorf("import user %s: %w", u.ID, err)
			}
			for _, f := range ui.Log {
				if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_events (user_id, paper_id, value, at) VALUES (?, ?, ?, ?)`,
					u.ID, f.PaperID, string(f.Value), store.Micros(f.At)); err != nil {
					return fmt.Errorf("import feedback of %s: %w", u.ID, err)
				}
			}
			for _, v := range store.CurrentVotes(ui.Log) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO votes (user_id, paper_id, value, at) VALUES (?, ?, ?, ?)`,
					u.ID, v.PaperID, string(v.Value), store.Micros(v.At)); err != nil {
					return fmt.Errorf("import votes of %s: %w", u.ID, err)
				}
			}
			if ui.Profile != nil {
				p := *ui.Profile
				p.UserID = u.ID
				if err := putProfile(ctx, tx, &p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
