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

func (s *Store) SetFeedToken(ctx context.Context, userID, tokenHash string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
			userID, tokenHash, store.Micros(at))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return paperpicks.NotFound("user", userID)
		}
		if isUniqueViolation(err) {
			return paperpicks.Errorf(paperpicks.ECONFLICT, "feed token in use")
		}
		if err != nil {
			return fmt.Errorf("set feed token: %w", err)
		}
		return nil
	})
}

func (s *Store) UserByFeedToken(ctx context.Context, tokenHash string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT user_id FROM feed_tokens WHERE token_hash = ?`, tokenHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", paperpicks.Errorf(paperpicks.ENOTFOUND, "no such feed")
	}
	if err != nil {
		return "", fmt.Errorf("user by feed token: %w", err)
	}
	return id, nil
}

func (s *Store) PickDates(ctx context.Context, userID, onOrBefore string, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT date FROM picks WHERE user_id = ? AND date <= ? ORDER BY date DESC LIMIT ?`, userID, onOrBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("pick dates: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
