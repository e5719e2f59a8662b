package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// querier is what both the pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ApplyFeedback serializes a user's feedback by locking the user's row
// (FOR NO KEY UPDATE, so inserts referencing the user need not wait),
// which makes the log order the order profiles saw the events even with
// several instances writing. Events arriving together share one
// transaction (see group.go); each event's reads and writes go in one
// pipelined batch each.
func (s *Store) ApplyFeedback(ctx context.Context, f paperpicks.Feedback, space string, update func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error) (bool, error) {
	switch {
	case !storable(f.UserID):
		return false, paperpicks.NotFound("user", f.UserID)
	case !storable(f.PaperID):
		return false, paperpicks.NotFound("paper", f.PaperID)
	}
	return s.feedback.apply(ctx, &feedbackJob{f: f, space: space, update: update})
}

// applyFeedback is one event within tx. A not-found error comes before
// any write, so the transaction may go on with other events.
func applyFeedback(ctx context.Context, tx pgx.Tx, f paperpicks.Feedback, space string, update func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error) (changed bool, err error) {
	// One round trip for the lock and every lookup.
	var b pgx.Batch
	var userFound, paperFound bool
	var prev *store.Vote
	var p *store.ProfileSums
	b.Queue(`SELECT true FROM users WHERE id = $1 FOR NO KEY UPDATE`, f.UserID).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&userFound); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	b.Queue(`SELECT EXISTS (SELECT 1 FROM papers WHERE id = $1)`, f.PaperID).QueryRow(func(r pgx.Row) error {
		return r.Scan(&paperFound)
	})
	b.Queue(`SELECT value, at FROM votes WHERE user_id = $1 AND paper_id = $2`, f.UserID, f.PaperID).QueryRow(func(r pgx.Row) error {
		var v store.Vote
		var at pgtype.Timestamptz
		switch err := r.Scan(&v.Value, &at); {
		case errors.Is(err, pgx.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		v.PaperID, v.At = f.PaperID, fromTS(at)
		prev = &v
		return nil
	})
	// Read after the lock above, in the same batch.
	b.Queue(`SELECT `+profileColumns+` FROM profiles WHERE user_id = $1`, f.UserID).QueryRow(func(r pgx.Row) error {
		var err error
		switch p, err = scanProfile(r); {
		case errors.Is(err, pgx.ErrNoRows):
			p = &store.ProfileSums{UserID: f.UserID}
			return nil
		default:
			return err
		}
	})
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return changed, fmt.Errorf("feedback: %w", err)
	}
	if !userFound {
		return false, paperpicks.NotFound("user", f.UserID)
	}
	if !paperFound {
		return false, paperpicks.NotFound("paper", f.PaperID)
	}

	var w pgx.Batch
	w.Queue(`INSERT INTO feedback_events (user_id, paper_id, value, at) VALUES ($1, $2, $3, $4)`,
		f.UserID, f.PaperID, string(f.Value), ts(f.At))
	if changed = !sameVote(prev, f.Value); changed {
		if f.Value == paperpicks.VoteNone {
			w.Queue(`DELETE FROM votes WHERE user_id = $1 AND paper_id = $2`, f.UserID, f.PaperID)
		} else {
			w.Queue(`INSERT INTO votes (user_id, paper_id, value, at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (user_id, paper_id) DO UPDATE SET value = excluded.value, at = excluded.at`,
				f.UserID, f.PaperID, string(f.Value), ts(f.At))
		}
	}
	if !changed || p.Space != space {
		// Nothing more to compute, or a profile from another space is
		// rebuilt from the log, which must hold this event first.
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return changed, fmt.Errorf("feedback log: %w", err)
		}
		if !changed {
			return changed, nil
		}
		rebuild, err := feedbackLog(ctx, tx, f.UserID)
		if err != nil {
			return changed, err
		}
		if err := update(prev, p, rebuild); err != nil {
			return changed, err
		}
		w = pgx.Batch{}
	} else if err := update(prev, p, nil); err != nil {
		return changed, err
	}
	p.Space = space
	queueProfile(&w, p)
	if err := tx.SendBatch(ctx, &w).Close(); err != nil {
		return changed, fmt.Errorf("feedback: %w", err)
	}
	return changed, nil
}

func sameVote(prev *store.Vote, v paperpicks.Vote) bool {
	if prev == nil {
		return v == paperpicks.VoteNone
	}
	return prev.Value == v
}

const profileColumns = `user_id, space, up_sum, down_sum, up_w, down_w, ref_time, updated_at`

func scanProfile(sc interface{ Scan(...any) error }) (*store.ProfileSums, error) {
	var p store.ProfileSums
	var up, down []byte
	var ref, updated pgtype.Timestamptz
	if err := sc.Scan(&p.UserID, &p.Space, &up, &down, &p.UpW, &p.DownW, &ref, &updated); err != nil {
		return nil, err
	}
	var err error
	if p.UpSum, err = store.DecodeVector(up, nil); err != nil {
		return nil, err
	}
	if p.DownSum, err = store.DecodeVector(down, nil); err != nil {
		return nil, err
	}
	p.RefTime, p.UpdatedAt = fromTS(ref), fromTS(updated)
	return &p, nil
}

func getProfile(ctx context.Context, q querier, userID string) (*store.ProfileSums, error) {
	p, err := scanProfile(q.QueryRow(ctx, `SELECT `+profileColumns+` FROM profiles WHERE user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "user %q has no profile", userID)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get profile: %w", err))
	}
	return p, nil
}

func queueProfile(b *pgx.Batch, p *store.ProfileSums) {
	b.Queue(`INSERT INTO profiles (`+profileColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id) DO UPDATE SET space = excluded.space, up_sum = excluded.up_sum, down_sum = excluded.down_sum,
			up_w = excluded.up_w, down_w = excluded.down_w, ref_time = excluded.ref_time, updated_at = excluded.updated_at`,
		p.UserID, p.Space, store.EncodeVector(p.UpSum), store.EncodeVector(p.DownSum), p.UpW, p.DownW, ts(p.RefTime), ts(p.UpdatedAt))
}

func feedbackLog(ctx context.Context, q querier, userID string) ([]paperpicks.Feedback, error) {
	rows, err := q.Query(ctx, `SELECT paper_id, value, at FROM feedback_events WHERE user_id = $1 ORDER BY seq`, userID)
	if err != nil {
		return nil, classify(fmt.Errorf("feedback log: %w", err))
	}
	defer rows.Close()
	var out []paperpicks.Feedback
	for rows.Next() {
		f := paperpicks.Feedback{UserID: userID}
		var at pgtype.Timestamptz
		if err := rows.Scan(&f.PaperID, &f.Value, &at); err != nil {
			return nil, classify(fmt.Errorf("feedback log: %w", err))
		}
		f.At = fromTS(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("feedback log: %w", err))
	}
	return out, nil
}

func (s *Store) FeedbackLog(ctx context.Context, userID string) ([]paperpicks.Feedback, error) {
	return feedbackLog(ctx, s.pool, userID)
}

func (s *Store) GetProfile(ctx context.Context, userID string) (*store.ProfileSums, error) {
	return getProfile(ctx, s.pool, userID)
}

// PutProfiles pipelines one upsert per profile, in user id order so that
// concurrent writers lock rows in the same order.
func (s *Store) PutProfiles(ctx context.Context, profiles []*store.ProfileSums) error {
	sorted := slices.Clone(profiles)
	slices.SortStableFunc(sorted, func(a, b *store.ProfileSums) int { return cmp.Compare(a.UserID, b.UserID) })
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		for lo := 0; lo < len(sorted); lo += chunk {
			var b pgx.Batch
			for _, p := range sorted[lo:min(lo+chunk, len(sorted))] {
				queueProfile(&b, p)
			}
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return fmt.Errorf("put profiles: %w", err)
			}
		}
		return nil
	}))
}

// profilePage is smaller than pageSize: a profile holds two vectors.
const profilePage = 500

func (s *Store) ScanProfiles(ctx context.Context, fn func(*store.ProfileSums) error) error {
	after := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT `+profileColumns+` FROM profiles WHERE user_id > $1 ORDER BY user_id LIMIT $2`, after, profilePage)
		if err != nil {
			return classify(fmt.Errorf("scan profiles: %w", err))
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.ProfileSums, error) { return scanProfile(r) })
		if err != nil {
			return classify(fmt.Errorf("scan profiles: %w", err))
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < profilePage {
			return nil
		}
		after = page[len(page)-1].UserID
	}
}
