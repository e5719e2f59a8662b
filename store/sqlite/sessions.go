package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) UserByEmail(ctx context.Context, email string) (*paperpicks.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no user has this email")
	}
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", err)
	}
	return u, nil
}

func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, store.Micros(ss.CreatedAt)); err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			ss.TokenHash, ss.UserID, store.Micros(ss.CreatedAt), store.Micros(ss.ExpiresAt))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return paperpicks.NotFound("user", ss.UserID)
		}
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

func (s *Store) GetSession(ctx context.Context, tokenHash string, now time.Time) (*store.Session, error) {
	ss := store.Session{TokenHash: tokenHash}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT user_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, store.Micros(now)).Scan(&ss.UserID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	ss.CreatedAt, ss.ExpiresAt = store.FromMicros(created), store.FromMicros(expires)
	return &ss, nil
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	})
}
