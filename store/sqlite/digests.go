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

const digestColumns = `user_id, date, status, attempts, lease_until, next_attempt, sent_at, message_id, error`

func scanDigest(sc interface{ Scan(...any) error }) (*store.DigestSend, error) {
	var d store.DigestSend
	var lease, next, sent int64
	if err := sc.Scan(&d.UserID, &d.Date, &d.Status, &d.Attempts, &lease, &next, &sent, &d.MessageID, &d.Error); err != nil {
		return nil, err
	}
	d.LeaseUntil, d.NextAttempt, d.SentAt = store.FromMicros(lease), store.FromMicros(next), store.FromMicros(sent)
	return &d, nil
}

// ClaimDigest decides in one write transaction; SQLite's single writer
// makes the read and the update atomic.
func (s *Store) ClaimDigest(ctx context.Context, userID, date string, now time.Time, lease time.Duration) (*store.DigestSend, bool, error) {
	var out *store.DigestSend
	var claimed bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d, err := scanDigest(tx.QueryRowContext(ctx, `SELECT `+digestColumns+` FROM digest_sends WHERE date = ? AND user_id = ?`, date, userID))
		if errors.Is(err, sql.ErrNoRows) {
			d = &store.DigestSend{UserID: userID, Date: date} // an unknown user fails the foreign key below
		} else if err != nil {
			return fmt.Errorf("claim digest: %w", err)
		}
		if d.Attempts > 0 && !d.Claimable(now) {
			out = d
			return nil
		}
		d.Status, d.Attempts, d.LeaseUntil, d.Error = store.DigestSending, d.Attempts+1, now.Add(lease), ""
		_, err = tx.ExecContext(ctx, `INSERT INTO digest_sends (user_id, date, status, attempts, lease_until) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (date, user_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, lease_until = excluded.lease_until, error = ''`,
			userID, date, d.Status, d.Attempts, store.Micros(d.LeaseUntil))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return paperpicks.NotFound("user", userID)
		}
		if err != nil {
			return fmt.Errorf("claim digest: %w", err)
		}
		out, claimed = d, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, claimed, nil
}

func (s *Store) FinishDigest(ctx context.Context, d *store.DigestSend) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE digest_sends SET status = ?, lease_until = 0, next_attempt = ?, sent_at = ?, message_id = ?, error = ?
			WHERE date = ? AND user_id = ? AND attempts = ?`,
			d.Status, store.Micros(d.NextAttempt), store.Micros(d.SentAt), d.MessageID, d.Error, d.Date, d.UserID, d.Attempts)
		if err != nil {
			return fmt.Errorf("finish digest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return paperpicks.Errorf(paperpicks.ECONFLICT, "digest of user %q for %s was claimed again (attempt %d lost its lease)", d.UserID, d.Date, d.Attempts)
		}
		return nil
	})
}

func (s *Store) DigestSends(ctx context.Context, date string) ([]*store.DigestSend, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+digestColumns+` FROM digest_sends WHERE date = ? ORDER BY user_id`, date)
	if err != nil {
		return nil, fmt.Errorf("digest sends: %w", err)
	}
	defer rows.Close()
	var out []*store.DigestSend
	for rows.Next() {
		d, err := scanDigest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
