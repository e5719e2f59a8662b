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
// transaction (see group.go), whose reads and writes go in one pipelined
// batch each (applyFeedbackGroup).
func (s *Store) ApplyFeedback(ctx context.Context, f paperpicks.Feedback, space string, update func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error) (bool, error) {
	switch {
	case !storable(f.UserID):
		return false, paperpicks.NotFound("user", f.UserID)
	case !storable(f.PaperID):
		return false, paperpicks.NotFound("paper", f.PaperID)
	}
	return s.feedback.apply(ctx, &feedbackJob{f: f, space: space, update: update})
}

// pair keys a vote.
type pair struct{ user, paper string }

// applyFeedbackGroup applies jobs (sorted by user id, one user's events in
// their order) within tx in two round trips whatever their number, one
// statement per kind of read or write for the whole group: the reads lock
// the users (in id order) and fetch papers, votes and profiles; the
// events then run through the votes and profiles in memory, in order, so
// a later event of a user sees the earlier ones; the writes append the
// log and store the final votes and profiles. A profile from another
// space is rebuilt from the log, which takes two more round trips. Every
// change calls its job's update, in order, as one by one would. A job
// whose user or paper does not exist gets ENOTFOUND and writes nothing;
// any other error is returned for the whole group.
func applyFeedbackGroup(ctx context.Context, tx pgx.Tx, jobs []*feedbackJob) error {
	var userIDs, paperIDs, voteUsers, votePapers []string
	seenUser, seenPaper, seenPair := map[string]bool{}, map[string]bool{}, map[pair]bool{}
	for _, j := range jobs {
		j.changed, j.err = false, nil
		f := j.f
		if !seenUser[f.UserID] {
			seenUser[f.UserID] = true
			userIDs = append(userIDs, f.UserID)
		}
		if !seenPaper[f.PaperID] {
			seenPaper[f.PaperID] = true
			paperIDs = append(paperIDs, f.PaperID)
		}
		if k := (pair{f.UserID, f.PaperID}); !seenPair[k] {
			seenPair[k] = true
			voteUsers, votePapers = append(voteUsers, k.user), append(votePapers, k.paper)
		}
	}

	users, papers := map[string]bool{}, map[string]bool{}
	votes := map[pair]*store.Vote{}
	profiles := map[string]*store.ProfileSums{}
	var r pgx.Batch
	r.Queue(`SELECT id FROM users WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, userIDs).Query(func(rows pgx.Rows) error {
		return collectIDs(rows, users)
	})
	r.Queue(`SELECT id FROM papers WHERE id = ANY($1)`, paperIDs).Query(func(rows pgx.Rows) error {
		return collectIDs(rows, papers)
	})
	// Read after the lock above, in the same batch.
	r.Queue(`SELECT v.user_id, v.paper_id, v.value, v.at FROM votes v
		JOIN unnest($1::text[], $2::text[]) AS k (user_id, paper_id) ON v.user_id = k.user_id AND v.paper_id = k.paper_id`,
		voteUsers, votePapers).Query(func(rows pgx.Rows) error {
		return eachVote(rows, func(userID string, v store.Vote) error {
			votes[pair{userID, v.PaperID}] = &v
			return nil
		})
	})
	r.Queue(`SELECT `+profileColumns+` FROM profiles WHERE user_id = ANY($1)`, userIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			p, err := scanProfile(rows)
			if err != nil {
				return err
			}
			profiles[p.UserID] = p
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, &r).Close(); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}

	var ev eventRows
	changedVotes := map[pair]bool{}
	var dirty []*store.ProfileSums // profiles updated in place, in user order
	logged := map[string]int{}     // events of a user this group logs
	// A profile from another space is rebuilt from the log once this
	// group's events are in it; that user's changes wait until then.
	deferred := map[string][]deferredUpdate{}
	var rebuildUsers []string
	for _, j := range jobs {
		f := j.f
		switch {
		case !users[f.UserID]:
			j.err = paperpicks.NotFound("user", f.UserID)
			continue
		case !papers[f.PaperID]:
			j.err = paperpicks.NotFound("paper", f.PaperID)
			continue
		}
		ev.add(f)
		logged[f.UserID]++
		k := pair{f.UserID, f.PaperID}
		prev := votes[k]
		if j.changed = !sameVote(prev, f.Value); !j.changed {
			continue
		}
		changedVotes[k] = true
		if f.Value == paperpicks.VoteNone {
			delete(votes, k)
		} else {
			votes[k] = &store.Vote{PaperID: f.PaperID, Value: f.Value, At: f.At}
		}
		d := deferredUpdate{job: j, prev: prev, logged: logged[f.UserID]}
		if _, waiting := deferred[f.UserID]; waiting {
			deferred[f.UserID] = append(deferred[f.UserID], d)
			continue
		}
		p := profiles[f.UserID]
		if p == nil {
			p = &store.ProfileSums{UserID: f.UserID}
			profiles[f.UserID] = p
		}
		if p.Space != j.space {
			deferred[f.UserID] = []deferredUpdate{d}
			rebuildUsers = append(rebuildUsers, f.UserID)
			continue
		}
		if err := j.update(prev, p, nil); err != nil {
			return err
		}
		if len(dirty) == 0 || dirty[len(dirty)-1] != p {
			dirty = append(dirty, p)
		}
	}

	var w pgx.Batch
	if len(ev.users) > 0 {
		w.Queue(`INSERT INTO feedback_events (user_id, paper_id, value, at)
			SELECT user_id, paper_id, value, at FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
				WITH ORDINALITY AS e (user_id, paper_id, value, at, n) ORDER BY n`,
			ev.users, ev.papers, ev.values, ev.ats)
	}
	var set eventRows
	var delUsers, delPapers []string
	for _, k := range sortedPairs(changedVotes) {
		if v := votes[k]; v != nil {
			set.add(paperpicks.Feedback{UserID: k.user, PaperID: k.paper, Value: v.Value, At: v.At})
		} else {
			delUsers, delPapers = append(delUsers, k.user), append(delPapers, k.paper)
		}
	}
	if len(set.users) > 0 {
		w.Queue(`INSERT INTO votes (user_id, paper_id, value, at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
			ON CONFLICT (user_id, paper_id) DO UPDATE SET value = excluded.value, at = excluded.at`,
			set.users, set.papers, set.values, set.ats)
	}
	if len(delUsers) > 0 {
		w.Queue(`DELETE FROM votes v USING unnest($1::text[], $2::text[]) AS k (user_id, paper_id)
			WHERE v.user_id = k.user_id AND v.paper_id = k.paper_id`, delUsers, delPapers)
	}
	queueProfiles(&w, dirty, deferred)
	if w.Len() > 0 {
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
	}
	if len(rebuildUsers) == 0 {
		return nil
	}

	// Profiles from another space: the first waiting change replays the
	// log as it stood after its event, later ones apply to the result as
	// they would have one by one.
	logs, err := feedbackLogs(ctx, tx, rebuildUsers)
	if err != nil {
		return err
	}
	var rebuilt []*store.ProfileSums
	for _, u := range rebuildUsers {
		p, log := profiles[u], logs[u]
		for _, d := range deferred[u] {
			var err error
			if p.Space == d.job.space {
				err = d.job.update(d.prev, p, nil)
			} else {
				err = d.job.update(d.prev, p, log[:len(log)-(logged[u]-d.logged)])
			}
			if err != nil {
				return err
			}
			p.Space = d.job.space
		}
		rebuilt = append(rebuilt, p)
	}
	var pw pgx.Batch
	queueProfiles(&pw, rebuilt, nil)
	if err := tx.SendBatch(ctx, &pw).Close(); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	return nil
}

// deferredUpdate is a profile change waiting for the log: prev is the
// vote it replaces, logged how many of the group's events of its user
// the log holds up to and including its own.
type deferredUpdate struct {
	job    *feedbackJob
	prev   *store.Vote
	logged int
}

// eventRows are feedback events as column arrays, for unnest.
type eventRows struct {
	users, papers, values []string
	ats                   []pgtype.Timestamptz
}

func (e *eventRows) add(f paperpicks.Feedback) {
	e.users, e.papers = append(e.users, f.UserID), append(e.papers, f.PaperID)
	e.values, e.ats = append(e.values, string(f.Value)), append(e.ats, ts(f.At))
}

func sortedPairs(m map[pair]bool) []pair {
	out := make([]pair, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b pair) int {
		return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.paper, b.paper))
	})
	return out
}

func collectIDs(rows pgx.Rows, into map[string]bool) error {
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		into[id] = true
	}
	return rows.Err()
}

// queueProfiles upserts profiles in one statement, skipping the users in
// skip (their profiles are rebuilt later).
func queueProfiles(b *pgx.Batch, profiles []*store.ProfileSums, skip map[string][]deferredUpdate) {
	var ids, spaces []string
	var ups, downs [][]byte
	var upW, downW []float64
	var refs, updated []pgtype.Timestamptz
	for _, p := range profiles {
		if _, ok := skip[p.UserID]; ok {
			continue
		}
		ids, spaces = append(ids, p.UserID), append(spaces, p.Space)
		ups, downs = append(ups, store.EncodeVector(p.UpSum)), append(downs, store.EncodeVector(p.DownSum))
		upW, downW = append(upW, p.UpW), append(downW, p.DownW)
		refs, updated = append(refs, ts(p.RefTime)), append(updated, ts(p.UpdatedAt))
	}
	if len(ids) == 0 {
		return
	}
	b.Queue(`INSERT INTO profiles (`+profileColumns+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::float8[], $6::float8[], $7::timestamptz[], $8::timestamptz[])
		ON CONFLICT (user_id) DO UPDATE SET space = excluded.space, up_sum = excluded.up_sum, down_sum = excluded.down_sum,
			up_w = excluded.up_w, down_w = excluded.down_w, ref_time = excluded.ref_time, updated_at = excluded.updated_at`,
		ids, spaces, ups, downs, upW, downW, refs, updated)
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

// feedbackLogs reads several users' logs in one query.
func feedbackLogs(ctx context.Context, q querier, userIDs []string) (map[string][]paperpicks.Feedback, error) {
	rows, err := q.Query(ctx, `SELECT user_id, paper_id, value, at FROM feedback_events WHERE user_id = ANY($1) ORDER BY user_id, seq`, userIDs)
	if err != nil {
		return nil, classify(fmt.Errorf("feedback logs: %w", err))
	}
	defer rows.Close()
	out := map[string][]paperpicks.Feedback{}
	for rows.Next() {
		var f paperpicks.Feedback
		var at pgtype.Timestamptz
		if err := rows.Scan(&f.UserID, &f.PaperID, &f.Value, &at); err != nil {
			return nil, classify(fmt.Errorf("feedback logs: %w", err))
		}
		f.At = fromTS(at)
		out[f.UserID] = append(out[f.UserID], f)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("feedback logs: %w", err))
	}
	return out, nil
}

func (s *Store) FeedbackLog(ctx context.Context, userID string) ([]paperpicks.Feedback, error) {
	logs, err := feedbackLogs(ctx, s.pool, []string{userID})
	return logs[userID], err
}

func (s *Store) GetProfile(ctx context.Context, userID string) (*store.ProfileSums, error) {
	return getProfile(ctx, s.pool, userID)
}

// PutProfiles upserts the profiles a chunk per statement, in user id
// order so that concurrent writers lock rows in the same order; of a user
// given twice the last profile is stored.
func (s *Store) PutProfiles(ctx context.Context, profiles []*store.ProfileSums) error {
	sorted := slices.Clone(profiles)
	slices.SortStableFunc(sorted, func(a, b *store.ProfileSums) int { return cmp.Compare(a.UserID, b.UserID) })
	// One statement cannot upsert a row twice: keep each user's last.
	last := sorted[:0]
	for i, p := range sorted {
		if i+1 < len(sorted) && sorted[i+1].UserID == p.UserID {
			continue
		}
		last = append(last, p)
	}
	sorted = last
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		for lo := 0; lo < len(sorted); lo += chunk {
			var b pgx.Batch
			queueProfiles(&b, sorted[lo:min(lo+chunk, len(sorted))], nil)
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
