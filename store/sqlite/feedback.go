package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) ApplyFeedback(ctx context.Context, f paperpicks.Feedback, space string, update func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error) (bool, error) {
	changed := false
	err := s.grouped(ctx, func(sqltx *sql.Tx) error {
		// The one writer connection serializes all writes, so the log
		// order is the order of application.
		tx := wtx{sqltx, s}
		changed = false
		var n int
		if err := tx.QueryRowContext(ctx, qUserExists, f.UserID).Scan(&n); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		if n == 0 {
			return paperpicks.NotFound("user", f.UserID)
		}
		if err := tx.QueryRowContext(ctx, qPaperExists, f.PaperID).Scan(&n); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		if n == 0 {
			return paperpicks.NotFound("paper", f.PaperID)
		}
		var prev *store.Vote
		var value string
		var at int64
		err := tx.QueryRowContext(ctx, qVote, f.UserID, f.PaperID).Scan(&value, &at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("feedback: %w", err)
		default:
			prev = &store.Vote{PaperID: f.PaperID, Value: paperpicks.Vote(value), At: store.FromMicros(at)}
		}
		if _, err := tx.ExecContext(ctx, qLogEvent,
			f.UserID, f.PaperID, string(f.Value), store.Micros(f.At)); err != nil {
			return fmt.Errorf("feedback log: %w", err)
		}
		changed = !sameVote(prev, f.Value)
		if !changed {
			return nil
		}
		if f.Value == paperpicks.VoteNone {
			_, err = tx.ExecContext(ctx, qDeleteVote, f.UserID, f.PaperID)
		} else {
			_, err = tx.ExecContext(ctx, qPutVote,
				f.UserID, f.PaperID, string(f.Value), store.Micros(f.At))
		}
		if err != nil {
			return fmt.Errorf("feedback state: %w", err)
		}
		p, err := getProfile(ctx, tx, f.UserID)
		if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
			p, err = &store.ProfileSums{UserID: f.UserID}, nil
		}
		if err != nil {
			return err
		}
		var rebuild []paperpicks.Feedback
		if p.Space != space {
			if rebuild, err = feedbackLog(ctx, tx, f.UserID); err != nil {
				return err
			}
		}
		if err := update(prev, p, rebuild); err != nil {
			return err
		}
		p.Space = space
		return putProfile(ctx, tx, p)
	})
	return changed, err
}

func sameVote(prev *store.Vote, v paperpicks.Vote) bool {
	if prev == nil {
		return v == paperpicks.VoteNone
	}
	return prev.Value == v
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getProfile(ctx context.Context, q querier, userID string) (*store.ProfileSums, error) {
	p := &store.ProfileSums{UserID: userID}
	var up, down []byte
	var ref, updated int64
	err := q.QueryRowContext(ctx, qGetProfile, userID).
		Scan(&p.Space, &up, &down, &p.UpW, &p.DownW, &ref, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "user %q has no profile", userID)
	}
	if err != nil {
		return nil, fmt.Errorf("get profile: %w", err)
	}
	if p.UpSum, err = store.DecodeVector(up, nil); err != nil {
		return nil, err
	}
	if p.DownSum, err = store.DecodeVector(down, nil); err != nil {
		return nil, err
	}
	p.RefTime, p.UpdatedAt = store.FromMicros(ref), store.FromMicros(updated)
	return p, nil
}

func putProfile(ctx context.Context, tx execer, p *store.ProfileSums) error {
	_, err := tx.ExecContext(ctx, qPutProfile,
		p.UserID, p.Space, store.EncodeVector(p.UpSum), store.EncodeVector(p.DownSum), p.UpW, p.DownW, store.Micros(p.RefTime), store.Micros(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put profile: %w", err)
	}
	return nil
}

func feedbackLog(ctx context.Context, q querier, userID string) ([]paperpicks.Feedback, error) {
	rows, err := q.QueryContext(ctx, qFeedbackLog, userID)
	if err != nil {
		return nil, fmt.Errorf("feedback log: %w", err)
	}
	defer rows.Close()
	var out []paperpicks.Feedback
	for rows.Next() {
		f := paperpicks.Feedback{UserID: userID}
		var at int64
		if err := rows.Scan(&f.PaperID, &f.Value, &at); err != nil {
			return nil, err
		}
		f.At = store.FromMicros(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) Votes(ctx context.Context, userID string) ([]store.Vote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT paper_id, value, at FROM votes WHERE user_id = ? ORDER BY at DESC, paper_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("votes: %w", err)
	}
	defer rows.Close()
	return scanVotes(rows)
}

func scanVotes(rows *sql.Rows) ([]store.Vote, error) {
	var out []store.Vote
	for rows.Next() {
		var v store.Vote
		var at int64
		if err := rows.Scan(&v.PaperID, &v.Value, &at); err != nil {
			return nil, err
		}
		v.At = store.FromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) FeedbackLog(ctx context.Context, userID string) ([]paperpicks.Feedback, error) {
	return feedbackLog(ctx, reader{s}, userID)
}

func (s *Store) GetProfile(ctx context.Context, userID string) (*store.ProfileSums, error) {
	return getProfile(ctx, reader{s}, userID)
}

func (s *Store) PutProfiles(ctx context.Context, profiles []*store.ProfileSums) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, p := range profiles {
			if err := putProfile(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ScanProfiles(ctx context.Context, fn func(*store.ProfileSums) error) error {
	after := ""
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT user_id, space, up_sum, down_sum, up_w, down_w, ref_time, updated_at
			FROM profiles WHERE user_id > ? ORDER BY user_id LIMIT ?`, after, pageSize)
		if err != nil {
			return fmt.Errorf("scan profiles: %w", err)
		}
		var page []*store.ProfileSums
		for rows.Next() {
			p := &store.ProfileSums{}
			var up, down []byte
			var ref, updated int64
			if err := rows.Scan(&p.UserID, &p.Space, &up, &down, &p.UpW, &p.DownW, &ref, &updated); err != nil {
				rows.Close()
				return err
			}
			if p.UpSum, err = store.DecodeVector(up, nil); err == nil {
				p.DownSum, err = store.DecodeVector(down, nil)
			}
			if err != nil {
				rows.Close()
				return err
			}
			p.RefTime, p.UpdatedAt = store.FromMicros(ref), store.FromMicros(updated)
			page = append(page, p)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].UserID
	}
}

func (s *Store) UpVotesSince(ctx context.Context, since, now time.Time, halfLife time.Duration) (map[string]store.UpVotes, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT paper_id, count(*),
			sum(CASE WHEN ?3 > 0 THEN pow(2.0, -max(?2 - at, 0) / ?3) ELSE 1.0 END)
		FROM votes WHERE value = 'up' AND at >= ?1 GROUP BY paper_id`,
		store.Micros(since), store.Micros(now), float64(halfLife.Microseconds()))
	if err != nil {
		return nil, fmt.Errorf("up votes: %w", err)
	}
	defer rows.Close()
	out := map[string]store.UpVotes{}
	for rows.Next() {
		var id string
		var v store.UpVotes
		if err := rows.Scan(&id, &v.Votes, &v.Score); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, rows.Err()
}

func (s *Store) ScanVotes(ctx context.Context, fn func(userID string, votes []store.Vote) error) error {
	after := ""
	for {
		// A page of users, then each one's votes: a user's votes never span pages.
		rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT user_id FROM votes WHERE user_id > ? ORDER BY user_id LIMIT ?`, after, pageSize)
		if err != nil {
			return fmt.Errorf("scan votes: %w", err)
		}
		var users []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			users = append(users, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		vrows, err := s.r.QueryContext(ctx, `SELECT user_id, paper_id, value, at FROM votes WHERE user_id >= ? AND user_id <= ? ORDER BY user_id, at DESC, paper_id`, users[0], users[len(users)-1])
		if err != nil {
			return fmt.Errorf("scan votes: %w", err)
		}
		cur := ""
		var votes []store.Vote
		for vrows.Next() {
			var uid string
			var v store.Vote
			var at int64
			if err := vrows.Scan(&uid, &v.PaperID, &v.Value, &at); err != nil {
				vrows.Close()
				return err
			}
			v.At = store.FromMicros(at)
			if uid != cur && cur != "" {
				if err := fn(cur, votes); err != nil {
					vrows.Close()
					return err
				}
				votes = nil
			}
			cur = uid
			votes = append(votes, v)
		}
		if err := vrows.Close(); err != nil {
			return err
		}
		if cur != "" {
			if err := fn(cur, votes); err != nil {
				return err
			}
		}
		if len(users) < pageSize {
			return nil
		}
		after = users[len(users)-1]
	}
}
