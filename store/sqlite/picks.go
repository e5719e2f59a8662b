package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) SavePicks(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error {
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	return s.tx(ctx, func(tx *sql.Tx) error {
		// A date's first run finds nothing to keep or replace; it only
		// inserts, one statement per user.
		var existing int
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM picks WHERE date = ?)`, date).Scan(&existing); err != nil {
			return fmt.Errorf("save picks: %w", err)
		}
		stmts, err := prepareAll(ctx, tx,
			`SELECT count(*) FROM picks WHERE user_id = ? AND date = ? AND delivered_at <> 0`,
			`DELETE FROM picks WHERE user_id = ? AND date = ?`)
		if err != nil {
			return err
		}
		defer closeStmts(stmts)
		delivered, del := stmts[0], stmts[1]
		inserts := map[int]*sql.Stmt{} // by row count
		defer func() {
			for _, st := range inserts {
				st.Close()
			}
		}()
		for _, u := range users {
			if existing == 1 {
				var n int
				if err := delivered.QueryRowContext(ctx, u, date).Scan(&n); err != nil {
					return fmt.Errorf("save picks: %w", err)
				}
				if n > 0 {
					continue // what the reader already saw stays as it was
				}
				if _, err := del.ExecContext(ctx, u, date); err != nil {
					return fmt.Errorf("save picks: %w", err)
				}
			}
			picks := byUser[u]
			if len(picks) == 0 {
				continue
			}
			ins, ok := inserts[len(picks)]
			if !ok {
				q := `INSERT INTO picks (user_id, date, rank, paper_id, score, reason, kind) VALUES ` +
					strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(picks)), ", ")
				if ins, err = tx.PrepareContext(ctx, q); err != nil {
					return fmt.Errorf("save picks: %w", err)
				}
				inserts[len(picks)] = ins
			}
			args := make([]any, 0, 7*len(picks))
			for _, p := range picks {
				args = append(args, u, date, p.Rank, p.PaperID, p.Score, p.Reason, string(p.Kind))
			}
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("save picks of %s for %s: %w", u, date, err)
			}
		}
		return nil
	})
}

func (s *Store) GetPicks(ctx context.Context, userID, date string) ([]paperpicks.Pick, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT rank, paper_id, score, reason, kind FROM picks WHERE user_id = ? AND date = ? ORDER BY rank`, userID, date)
	if err != nil {
		return nil, fmt.Errorf("get picks: %w", err)
	}
	defer rows.Close()
	var out []paperpicks.Pick
	for rows.Next() {
		p := paperpicks.Pick{UserID: userID, Date: date}
		if err := rows.Scan(&p.Rank, &p.PaperID, &p.Score, &p.Reason, &p.Kind); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for user %q on %s", userID, date)
	}
	return out, nil
}

func (s *Store) ScanPicked(ctx context.Context, before string, fn func(userID string, paperIDs []string) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, paper_id FROM picks WHERE date < ? ORDER BY user_id`, before)
	if err != nil {
		return fmt.Errorf("scan picked: %w", err)
	}
	// Collect first: fn may query, and a long-open read keeps the WAL growing.
	byUser := map[string][]string{}
	var order []string
	for rows.Next() {
		var u, p string
		if err := rows.Scan(&u, &p); err != nil {
			rows.Close()
			return err
		}
		if _, ok := byUser[u]; !ok {
			order = append(order, u)
		}
		byUser[u] = append(byUser[u], p)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, u := range order {
		if err := fn(u, byUser[u]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) MarkDelivered(ctx context.Context, userID, date string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE picks SET delivered_at = ? WHERE user_id = ? AND date = ? AND delivered_at = 0`, store.Micros(at), userID, date)
		if err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var c int
			tx.QueryRowContext(ctx, `SELECT count(*) FROM picks WHERE user_id = ? AND date = ?`, userID, date).Scan(&c)
			if c == 0 {
				return paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for user %q on %s", userID, date)
			}
		}
		return nil
	})
}

func (s *Store) StartRun(ctx context.Context, date string, at, cutoff time.Time) (*store.Run, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (date, started_at, cutoff, status) VALUES (?, ?, ?, 'running')
			ON CONFLICT (date) DO UPDATE SET started_at = excluded.started_at, finished_at = 0, status = 'running', error = ''`,
			date, store.Micros(at), store.Micros(cutoff))
		if err != nil {
			return fmt.Errorf("start run: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.getRun(ctx, s.w, date)
}

func (s *Store) FinishRun(ctx context.Context, r *store.Run) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, users = ?, picks = ?, status = ?, error = ? WHERE date = ?`,
			store.Micros(r.FinishedAt), r.Users, r.Picks, r.Status, r.Error, r.Date)
		if err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		return nil
	})
}

func (s *Store) GetRun(ctx context.Context, date string) (*store.Run, error) {
	return s.getRun(ctx, s.r, date)
}

func (s *Store) getRun(ctx context.Context, q querier, date string) (*store.Run, error) {
	r := &store.Run{Date: date}
	var started, cutoff, finished int64
	err := q.QueryRowContext(ctx, `SELECT started_at, cutoff, finished_at, users, picks, status, error FROM runs WHERE date = ?`, date).
		Scan(&started, &cutoff, &finished, &r.Users, &r.Picks, &r.Status, &r.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no daily run for %s", date)
	}
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	r.StartedAt, r.Cutoff, r.FinishedAt = store.FromMicros(started), store.FromMicros(cutoff), store.FromMicros(finished)
	return r, nil
}
