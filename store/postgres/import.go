package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// ImportUsers writes users, their logs, votes and profiles with COPY, the
// fastest path PostgreSQL offers for bulk rows, in one transaction.
func (s *Store) ImportUsers(ctx context.Context, users []store.UserImport) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var urows, erows, vrows [][]any
		var profiles []*store.ProfileSums
		for _, ui := range users {
			u := ui.User
			urows = append(urows, []any{u.ID, nullEmail(u.Email), u.TimeZone, u.PicksPerDay, u.Digest, ui.TokenHash, ts(u.CreatedAt)})
			for _, f := range ui.Log {
				erows = append(erows, []any{u.ID, f.PaperID, string(f.Value), ts(f.At)})
			}
			for _, v := range store.CurrentVotes(ui.Log) {
				vrows = append(vrows, []any{u.ID, v.PaperID, string(v.Value), ts(v.At)})
			}
			if ui.Profile != nil {
				p := *ui.Profile
				p.UserID = u.ID
				profiles = append(profiles, &p)
			}
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"users", []string{"id", "email", "time_zone", "picks_per_day", "digest", "token_hash", "created_at"}, urows},
			{"feedback_events", []string{"user_id", "paper_id", "value", "at"}, erows},
			{"votes", []string{"user_id", "paper_id", "value", "at"}, vrows},
		}
		for _, c := range copies {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				if uniqueViolation(err) != "" {
					return paperpicks.Errorf(paperpicks.ECONFLICT, "an imported user or its email exists")
				}
				return fmt.Errorf("import %s: %w", c.table, err)
			}
		}
		var b pgx.Batch
		queueProfiles(&b, profiles, nil)
		if b.Len() > 0 {
			return tx.SendBatch(ctx, &b).Close()
		}
		return nil
	})
	return classify(err)
}
