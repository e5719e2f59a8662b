package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

const digestColumns = `user_id, date, status, attempts, lease_until, next_attempt, sent_at, message_id, error`

func scanDigest(sc pgx.Row) (*store.DigestSend, error) {
	var d store.DigestSend
	var lease, next, sent pgtype.Timestamptz
	if err := sc.Scan(&d.UserID, &d.Date, &d.Status, &d.Attempts, &lease, &next, &sent, &d.MessageID, &d.Error); err != nil {
		return nil, err
	}
	d.LeaseUntil, d.NextAttempt, d.SentAt = fromTS(lease), fromTS(next), fromTS(sent)
	return &d, nil
}

// foreignKeyViolation reports a row that references a missing user.
func foreignKeyViolation(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pe.Code == "23503"
}

// ClaimDigest makes sure the row exists (a new row is a due "failed" one
// with no attempts), locks it, and decides with DigestSend.Claimable, so
// senders on several instances serialize on the row lock and exactly one
// of them claims.
func (s *Store) ClaimDigest(ctx context.Context, userID, date string, now time.Time, lease time.Duration) (*store.DigestSend, bool, error) {
	var out *store.DigestSend
	var claimed bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out, claimed = nil, false
		_, err := tx.Exec(ctx, `INSERT INTO digest_sends (user_id, date, status, attempts) VALUES ($1, $2, 'failed', 0) ON CONFLICT (date, user_id) DO NOTHING`, userID, date)
		if foreignKeyViolation(err) {
			return paperpicks.NotFound("user", userID)
		}
		if err != nil {
			return fmt.Errorf("claim digest: %w", err)
		}
		d, err := scanDigest(tx.QueryRow(ctx, `SELECT `+digestColumns+` FROM digest_sends WHERE date = $1 AND user_id = $2 FOR UPDATE`, date, userID))
		if err != nil {
			return fmt.Errorf("claim digest: %w", err)
		}
		if d.Attempts > 0 && !d.Claimable(now) {
			out = d
			return nil
		}
		d.Status, d.Attempts, d.LeaseUntil, d.Error = store.DigestSending, d.Attempts+1, now.Add(lease), ""
		_, err = tx.Exec(ctx, `UPDATE digest_sends SET status = $3, attempts = $4, lease_until = $5, error = '' WHERE date = $1 AND user_id = $2`,
			date, userID, d.Status, d.Attempts, ts(d.LeaseUntil))
		if err != nil {
			return fmt.Errorf("claim digest: %w", err)
		}
		d.LeaseUntil = fromTS(ts(d.LeaseUntil))
		out, claimed = d, true
		return nil
	})
	if err != nil {
		return nil, false, classify(err)
	}
	return out, claimed, nil
}

func (s *Store) FinishDigest(ctx context.Context, d *store.DigestSend) error {
	tag, err := s.pool.Exec(ctx, `UPDATE digest_sends SET status = $4, lease_until = '-infinity', next_attempt = $5, sent_at = $6, message_id = $7, error = $8
		WHERE date = $1 AND user_id = $2 AND attempts = $3`,
		d.Date, d.UserID, d.Attempts, d.Status, ts(d.NextAttempt), ts(d.SentAt), d.MessageID, d.Error)
	if err != nil {
		return classify(fmt.Errorf("finish digest: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return paperpicks.Errorf(paperpicks.ECONFLICT, "digest of user %q for %s was claimed again (attempt %d lost its lease)", d.UserID, d.Date, d.Attempts)
	}
	return nil
}

func (s *Store) DigestSends(ctx context.Context, date string) ([]*store.DigestSend, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+digestColumns+` FROM digest_sends WHERE date = $1 AND attempts > 0 ORDER BY user_id`, date)
	if err != nil {
		return nil, classify(fmt.Errorf("digest sends: %w", err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.DigestSend, error) { return scanDigest(r) })
	if err != nil {
		return nil, classify(fmt.Errorf("digest sends: %w", err))
	}
	return out, nil
}
