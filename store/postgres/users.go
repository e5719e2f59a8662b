package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
)

const userColumns = `id, coalesce(email, ''), time_zone, picks_per_day, digest, created_at`

func scanUser(sc interface{ Scan(...any) error }) (*paperpicks.User, error) {
	var u paperpicks.User
	var created pgtype.Timestamptz
	if err := sc.Scan(&u.ID, &u.Email, &u.TimeZone, &u.PicksPerDay, &u.Digest, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromTS(created)
	return &u, nil
}

// nullEmail stores "" as NULL so users without email don't collide on the
// unique index, and lower-cases the rest so case variants do.
func nullEmail(e string) any {
	if e == "" {
		return nil
	}
	return strings.ToLower(e)
}

// uniqueViolation returns the constraint a unique violation hit, or "".
func uniqueViolation(err error) string {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

func (s *Store) CreateUser(ctx context.Context, u *paperpicks.User, tokenHash string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (id, email, time_zone, picks_per_day, digest, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, tokenHash, ts(u.CreatedAt))
	switch c := uniqueViolation(err); {
	case c == "users_email_key":
		return paperpicks.Errorf(paperpicks.ECONFLICT, "a user with email %q exists", u.Email)
	case c != "":
		return paperpicks.Errorf(paperpicks.ECONFLICT, "user %q exists", u.ID)
	case err != nil:
		return classify(fmt.Errorf("create user: %w", err))
	}
	return nil
}

func (s *Store) GetUser(ctx context.Context, id string) (*paperpicks.User, error) {
	if !storable(id) {
		return nil, paperpicks.NotFound("user", id)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.NotFound("user", id)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get user: %w", err))
	}
	return u, nil
}

func (s *Store) UserByTokenHash(ctx context.Context, tokenHash string) (*paperpicks.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE token_hash = $1`, tokenHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no user has this token")
	}
	if err != nil {
		return nil, classify(fmt.Errorf("user by token: %w", err))
	}
	return u, nil
}

func (s *Store) UpdateUser(ctx context.Context, u *paperpicks.User) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET email = $1, time_zone = $2, picks_per_day = $3, digest = $4 WHERE id = $5`,
		nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, u.ID)
	if uniqueViolation(err) != "" {
		return paperpicks.Errorf(paperpicks.ECONFLICT, "a user with email %q exists", u.Email)
	}
	if err != nil {
		return classify(fmt.Errorf("update user: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return paperpicks.NotFound("user", u.ID)
	}
	return nil
}

// DeleteUser is one statement, hence one transaction: the user's rows in
// other tables go with it (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if !storable(id) {
		return paperpicks.NotFound("user", id)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return classify(fmt.Errorf("delete user: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return paperpicks.NotFound("user", id)
	}
	return nil
}

func (s *Store) ListUsers(ctx context.Context) ([]*paperpicks.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, classify(fmt.Errorf("list users: %w", err))
	}
	defer rows.Close()
	var out []*paperpicks.User // nil when none, as in SQLite
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, classify(fmt.Errorf("list users: %w", err))
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("list users: %w", err))
	}
	return out, nil
}
