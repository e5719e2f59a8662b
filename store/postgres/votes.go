package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) Votes(ctx context.Context, userID string) ([]store.Vote, error) {
	if !storable(userID) {
		return nil, nil // nobody has such an id, so no votes (nil, as below)
	}
	rows, err := s.pool.Query(ctx, `SELECT user_id, paper_id, value, at FROM votes WHERE user_id = $1 ORDER BY at DESC, paper_id`, userID)
	if err != nil {
		return nil, classify(fmt.Errorf("votes: %w", err))
	}
	var out []store.Vote // nil when none, as in SQLite
	err = eachVote(rows, func(_ string, v store.Vote) error {
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, classify(fmt.Errorf("votes: %w", err))
	}
	return out, nil
}

// eachVote calls fn for every row of (user_id, paper_id, value, at) and
// closes rows.
func eachVote(rows pgx.Rows, fn func(userID string, v store.Vote) error) error {
	defer rows.Close()
	for rows.Next() {
		var uid string
		var v store.Vote
		var at pgtype.Timestamptz
		if err := rows.Scan(&uid, &v.PaperID, &v.Value, &at); err != nil {
			return err
		}
		v.At = fromTS(at)
		if err := fn(uid, v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) UpVotesSince(ctx context.Context, since, now time.Time, halfLife time.Duration) (map[string]store.UpVotes, error) {
	rows, err := s.pool.Query(ctx, `SELECT paper_id, count(*),
			sum(CASE WHEN $3 > 0 THEN power(2.0::float8, -greatest(extract(epoch FROM $2::timestamptz - at)::float8, 0) / $3) ELSE 1 END)
		FROM votes WHERE value = 'up' AND at >= $1 GROUP BY paper_id`,
		ts(since), ts(now), halfLife.Seconds())
	if err != nil {
		return nil, classify(fmt.Errorf("up votes: %w", err))
	}
	out := map[string]store.UpVotes{}
	var id string
	var v store.UpVotes
	_, err = pgx.ForEachRow(rows, []any{&id, &v.Votes, &v.Score}, func() error {
		out[id] = v
		return nil
	})
	if err != nil {
		return nil, classify(fmt.Errorf("up votes: %w", err))
	}
	return out, nil
}

// ScanVotes reads a page of users, then all of their votes, so one user's
// votes never span pages and no query stays open while fn runs.
func (s *Store) ScanVotes(ctx context.Context, fn func(userID string, votes []store.Vote) error) error {
	after := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT user_id FROM votes WHERE user_id > $1 ORDER BY user_id LIMIT $2`, after, pageSize)
		if err != nil {
			return classify(fmt.Errorf("scan votes: %w", err))
		}
		users, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return classify(fmt.Errorf("scan votes: %w", err))
		}
		if len(users) == 0 {
			return nil
		}
		rows, err = s.pool.Query(ctx, `SELECT user_id, paper_id, value, at FROM votes WHERE user_id = ANY($1) ORDER BY user_id, at DESC, paper_id`, users)
		if err != nil {
			return classify(fmt.Errorf("scan votes: %w", err))
		}
		byUser := make(map[string][]store.Vote, len(users))
		err = eachVote(rows, func(uid string, v store.Vote) error {
			byUser[uid] = append(byUser[uid], v)
			return nil
		})
		if err != nil {
			return classify(fmt.Errorf("scan votes: %w", err))
		}
		for _, uid := range users {
			if votes := byUser[uid]; len(votes) > 0 { // deleted meanwhile
				if err := fn(uid, votes); err != nil {
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
