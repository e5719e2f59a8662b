package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
)

func (s *Store) SetFeedToken(ctx context.Context, userID, tokenHash string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO feed_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
		userID, tokenHash, ts(at))
	switch {
	case foreignKeyViolation(err):
		return paperpicks.NotFound("user", userID)
	case uniqueViolation(err) != "":
		return paperpicks.Errorf(paperpicks.ECONFLICT, "feed token in use")
	case err != nil:
		return classify(fmt.Errorf("set feed token: %w", err))
	}
	return nil
}

func (s *Store) UserByFeedToken(ctx context.Context, tokenHash string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT user_id FROM feed_tokens WHERE token_hash = $1`, tokenHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", paperpicks.Errorf(paperpicks.ENOTFOUND, "no such feed")
	}
	if err != nil {
		return "", classify(fmt.Errorf("user by feed token: %w", err))
	}
	return id, nil
}

func (s *Store) PickDates(ctx context.Context, userID, onOrBefore string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT date FROM picks WHERE user_id = $1 AND date <= $2 ORDER BY date DESC LIMIT $3`, userID, onOrBefore, limit)
	if err != nil {
		return nil, classify(fmt.Errorf("pick dates: %w", err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, classify(fmt.Errorf("pick dates: %w", err))
	}
	return out, nil
}
