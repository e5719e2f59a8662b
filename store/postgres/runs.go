package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

const runColumns = `date, started_at, cutoff, finished_at, users, picks, status, error`

func scanRun(sc pgx.Row) (*store.Run, error) {
	var r store.Run
	var started, cutoff, finished pgtype.Timestamptz
	if err := sc.Scan(&r.Date, &started, &cutoff, &finished, &r.Users, &r.Picks, &r.Status, &r.Error); err != nil {
		return nil, err
	}
	r.StartedAt, r.Cutoff, r.FinishedAt = fromTS(started), fromTS(cutoff), fromTS(finished)
	return &r, nil
}

// StartRun is one upsert that returns the row as started: the first start
// fixes the cutoff, later ones keep it.
func (s *Store) StartRun(ctx context.Context, date string, at, cutoff time.Time) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `INSERT INTO runs (date, started_at, cutoff, status) VALUES ($1, $2, $3, 'running')
		ON CONFLICT (date) DO UPDATE SET started_at = excluded.started_at, finished_at = '-infinity', status = 'running', error = ''
		RETURNING `+runColumns, date, ts(at), ts(cutoff)))
	if err != nil {
		return nil, classify(fmt.Errorf("start run: %w", err))
	}
	return r, nil
}

func (s *Store) FinishRun(ctx context.Context, r *store.Run) error {
	_, err := s.pool.Exec(ctx, `UPDATE runs SET finished_at = $1, users = $2, picks = $3, status = $4, error = $5 WHERE date = $6`,
		ts(r.FinishedAt), r.Users, r.Picks, r.Status, r.Error, r.Date)
	if err != nil {
		return classify(fmt.Errorf("finish run: %w", err))
	}
	return nil
}

func (s *Store) GetRun(ctx context.Context, date string) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE date = $1`, date))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no daily run for %s", date)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get run: %w", err))
	}
	return r, nil
}
