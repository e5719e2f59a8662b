package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
)

// lockPicks takes a transaction advisory lock per (user, date), in the
// order given (callers sort), so SavePicks and MarkDelivered from several
// instances agree on whether picks were delivered. A row lock would not
// do: a user without picks yet has no row to lock. The lock is not the
// user's row either, so feedback is never blocked by a daily run.
func lockPicks(ctx context.Context, tx pgx.Tx, date string, users []string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('paperpicks.picks.' || u || '/' || $2, 0))
		FROM unnest($1::text[]) AS u`, users, date)
	if err != nil {
		return fmt.Errorf("lock picks: %w", err)
	}
	return nil
}

func (s *Store) SavePicks(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error {
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	slices.Sort(users)
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		for lo := 0; lo < len(users); lo += chunk {
			if err := savePicks(ctx, tx, date, users[lo:min(lo+chunk, len(users))], byUser); err != nil {
				return err
			}
		}
		return nil
	}))
}

// savePicks replaces the undelivered picks of users (sorted) for date.
func savePicks(ctx context.Context, tx pgx.Tx, date string, users []string, byUser map[string][]paperpicks.Pick) error {
	if err := lockPicks(ctx, tx, date, users); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT user_id FROM picks
		WHERE date = $1 AND user_id = ANY($2) AND delivered_at > '-infinity'`, date, users)
	if err != nil {
		return fmt.Errorf("save picks: %w", err)
	}
	delivered, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("save picks: %w", err)
	}
	// What a reader already saw stays as it was.
	replace := slices.DeleteFunc(slices.Clone(users), func(u string) bool { return slices.Contains(delivered, u) })
	var uids, pids, reasons, kinds []string
	var ranks []int
	var scores []float64
	for _, u := range replace {
		for _, p := range byUser[u] {
			uids, pids, reasons, kinds = append(uids, u), append(pids, p.PaperID), append(reasons, p.Reason), append(kinds, string(p.Kind))
			ranks, scores = append(ranks, p.Rank), append(scores, p.Score)
		}
	}
	var b pgx.Batch
	b.Queue(`DELETE FROM picks WHERE date = $1 AND user_id = ANY($2)`, date, replace)
	b.Queue(`INSERT INTO picks (user_id, date, rank, paper_id, score, reason, kind)
		SELECT u.uid, $1, u.rank, u.pid, u.score, u.reason, u.kind
		FROM unnest($2::text[], $3::int[], $4::text[], $5::float8[], $6::text[], $7::text[]) AS u (uid, rank, pid, score, reason, kind)`,
		date, uids, ranks, pids, scores, reasons, kinds)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("save picks for %s: %w", date, err)
	}
	return nil
}

func (s *Store) GetPicks(ctx context.Context, userID, date string) ([]paperpicks.Pick, error) {
	if !storable(userID, date) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for user %q on %s", userID, date)
	}
	rows, err := s.pool.Query(ctx, `SELECT rank, paper_id, score, reason, kind FROM picks WHERE user_id = $1 AND date = $2 ORDER BY rank`, userID, date)
	if err != nil {
		return nil, classify(fmt.Errorf("get picks: %w", err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (paperpicks.Pick, error) {
		p := paperpicks.Pick{UserID: userID, Date: date}
		err := r.Scan(&p.Rank, &p.PaperID, &p.Score, &p.Reason, &p.Kind)
		return p, err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("get picks: %w", err))
	}
	if len(out) == 0 {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for user %q on %s", userID, date)
	}
	return out, nil
}

// ScanPicked pages by user like ScanVotes, so neither the result nor an
// open query grows with the whole history of picks.
func (s *Store) ScanPicked(ctx context.Context, before string, fn func(userID string, paperIDs []string) error) error {
	after := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT user_id FROM picks WHERE date < $1 AND user_id > $2 ORDER BY user_id LIMIT $3`, before, after, pageSize)
		if err != nil {
			return classify(fmt.Errorf("scan picked: %w", err))
		}
		users, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return classify(fmt.Errorf("scan picked: %w", err))
		}
		if len(users) == 0 {
			return nil
		}
		rows, err = s.pool.Query(ctx, `SELECT user_id, paper_id FROM picks WHERE date < $1 AND user_id = ANY($2) ORDER BY user_id, date, rank`, before, users)
		if err != nil {
			return classify(fmt.Errorf("scan picked: %w", err))
		}
		byUser := make(map[string][]string, len(users))
		var uid, pid string
		_, err = pgx.ForEachRow(rows, []any{&uid, &pid}, func() error {
			byUser[uid] = append(byUser[uid], pid)
			return nil
		})
		if err != nil {
			return classify(fmt.Errorf("scan picked: %w", err))
		}
		for _, u := range users {
			if ids := byUser[u]; len(ids) > 0 { // deleted meanwhile
				if err := fn(u, ids); err != nil {
					return err
				}
			}
		}
		if len(users) < pageSize {
			return nil
		}
		after = users[len(users)-1]
	}
}

func (s *Store) MarkDelivered(ctx context.Context, userID, date string, at time.Time) error {
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockPicks(ctx, tx, date, []string{userID}); err != nil {
			return err
		}
		var found bool
		err := tx.QueryRow(ctx, `WITH marked AS (
				UPDATE picks SET delivered_at = $3 WHERE user_id = $1 AND date = $2 AND delivered_at = '-infinity'
			)
			SELECT EXISTS (SELECT 1 FROM picks WHERE user_id = $1 AND date = $2)`, userID, date, ts(at)).Scan(&found)
		if err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
		if !found {
			return paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for user %q on %s", userID, date)
		}
		return nil
	}))
}
