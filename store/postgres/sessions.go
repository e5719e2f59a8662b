package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) UserByEmail(ctx context.Context, email string) (*paperpicks.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no user has this email")
	}
	if err != nil {
		return nil, classify(fmt.Errorf("user by email: %w", err))
	}
	return u, nil
}

func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ts(ss.CreatedAt)); err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			ss.TokenHash, ss.UserID, ts(ss.CreatedAt), ts(ss.ExpiresAt))
		if foreignKeyViolation(err) {
			return paperpicks.NotFound("user", ss.UserID)
		}
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
	return classify(err)
}

func (s *Store) GetSession(ctx context.Context, tokenHash string, now time.Time) (*store.Session, error) {
	ss := store.Session{TokenHash: tokenHash}
	var created, expires pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT user_id, created_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
		tokenHash, ts(now)).Scan(&ss.UserID, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get session: %w", err))
	}
	ss.CreatedAt, ss.ExpiresAt = fromTS(created), fromTS(expires)
	return &ss, nil
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return classify(fmt.Errorf("delete session: %w", err))
	}
	return nil
}
