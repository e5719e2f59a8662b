package storetest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func user(id, email string) *paperpicks.User {
	return &paperpicks.User{ID: id, Email: email, TimeZone: "Europe/Berlin", PicksPerDay: 10, Digest: true, CreatedAt: t0}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	if err := s.CreateUser(ctx, user("u1", "ada@example.org"), "hash1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, user("u2", ""), "hash2"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, user("u3", ""), "hash3"); err != nil {
		t.Fatalf("two users without email: %v", err)
	}
	if err := s.CreateUser(ctx, user("u4", "ADA@example.org"), "hash4"); paperpicks.ErrorCode(err) != paperpicks.ECONFLICT {
		t.Errorf("duplicate email (other case): %v, want conflict", err)
	}
	u, err := s.GetUser(ctx, "u1")
	if err != nil || u.Email != "ada@example.org" || u.TimeZone != "Europe/Berlin" || u.PicksPerDay != 10 || !u.Digest || !u.CreatedAt.Equal(t0) {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	if u, err := s.UserByTokenHash(ctx, "hash2"); err != nil || u.ID != "u2" {
		t.Errorf("UserByTokenHash = %+v, %v", u, err)
	}
	if _, err := s.UserByTokenHash(ctx, "nope"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("unknown token: %v", err)
	}
	u.PicksPerDay, u.Digest, u.Email = 5, false, "lovelace@example.org"
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u1"); got.PicksPerDay != 5 || got.Digest || got.Email != "lovelace@example.org" {
		t.Errorf("after update: %+v", got)
	}
	if err := s.UpdateUser(ctx, user("nobody", "")); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("update unknown: %v", err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 3 || list[0].ID != "u1" {
		t.Errorf("ListUsers = %d users, %v", len(list), err)
	}
	if err := s.DeleteUser(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, "u2"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("deleted user still there: %v", err)
	}
	if err := s.DeleteUser(ctx, "u2"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

// sumUpdate is a stand-in profile rule for the contract: each paper has a
// fixed one-hot vector; up adds it, down subtracts it into DownSum.
func sumUpdate(f paperpicks.Feedback, dim int, index map[string]int) func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
	return func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		if rebuild != nil {
			*p = store.ProfileSums{UserID: p.UserID}
			state := map[string]paperpicks.Vote{}
			for _, e := range rebuild {
				var pv *store.Vote
				if v, ok := state[e.PaperID]; ok {
					pv = &store.Vote{PaperID: e.PaperID, Value: v}
				}
				if (pv == nil && e.Value == paperpicks.VoteNone) || (pv != nil && pv.Value == e.Value) {
					continue
				}
				applySum(pv, e, p, dim, index)
				if e.Value == paperpicks.VoteNone {
					delete(state, e.PaperID)
				} else {
					state[e.PaperID] = e.Value
				}
			}
			return nil
		}
		applySum(prev, f, p, dim, index)
		return nil
	}
}

func applySum(prev *store.Vote, f paperpicks.Feedback, p *store.ProfileSums, dim int, index map[string]int) {
	if p.UpSum == nil {
		p.UpSum, p.DownSum = make([]float32, dim), make([]float32, dim)
	}
	i := index[f.PaperID]
	if prev != nil {
		if prev.Value == paperpicks.VoteUp {
			p.UpSum[i]--
			p.UpW--
		} else {
			p.DownSum[i]--
			p.DownW--
		}
	}
	switch f.Value {
	case paperpicks.VoteUp:
		p.UpSum[i]++
		p.UpW++
	case paperpicks.VoteDown:
		p.DownSum[i]++
		p.DownW++
	}
	p.RefTime, p.UpdatedAt = f.At, f.At
}

func testFeedback(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	var papers []store.PaperVector
	index := map[string]int{}
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("2401.%05d", i)
		index[id] = i
		papers = append(papers, pv(paper(id), 1))
	}
	mustUpsert(t, s, "sp", t0, papers...)
	if err := s.CreateUser(ctx, user("u1", ""), "h1"); err != nil {
		t.Fatal(err)
	}
	apply := func(paperID string, v paperpicks.Vote, at time.Time) (bool, error) {
		f := paperpicks.Feedback{UserID: "u1", PaperID: paperID, Value: v, At: at}
		return s.ApplyFeedback(ctx, f, "sp", sumUpdate(f, 8, index))
	}
	steps := []struct {
		paper   string
		v       paperpicks.Vote
		changed bool
	}{
		{"2401.00001", paperpicks.VoteUp, true},
		{"2401.00001", paperpicks.VoteUp, false}, // idempotent
		{"2401.00002", paperpicks.VoteDown, true},
		{"2401.00003", paperpicks.VoteUp, true},
		{"2401.00003", paperpicks.VoteNone, true},
		{"2401.00004", paperpicks.VoteNone, false},
		{"2401.00002", paperpicks.VoteUp, true}, // last write wins
	}
	for i, st := range steps {
		changed, err := apply(st.paper, st.v, t0.Add(time.Duration(i)*time.Minute))
		if err != nil || changed != st.changed {
			t.Fatalf("step %d (%s %s): changed %v, %v; want %v", i, st.paper, st.v, changed, err, st.changed)
		}
	}
	votes, err := s.Votes(ctx, "u1")
	if err != nil || len(votes) != 2 || votes[0].PaperID != "2401.00002" || votes[0].Value != paperpicks.VoteUp || votes[1].PaperID != "2401.00001" {
		t.Errorf("Votes = %+v, %v; want 00002 up (newest) then 00001 up", votes, err)
	}
	log, err := s.FeedbackLog(ctx, "u1")
	if err != nil || len(log) != len(steps) || log[4].Value != paperpicks.VoteNone {
		t.Errorf("FeedbackLog has %d events, %v; want every event, repeats too", len(log), err)
	}
	p, err := s.GetProfile(ctx, "u1")
	if err != nil || p.Space != "sp" || p.UpW != 2 || p.DownW != 0 || p.UpSum[1] != 1 || p.UpSum[2] != 1 || p.DownSum[2] != 0 {
		t.Errorf("profile = %+v, %v", p, err)
	}
	if _, err := apply("2499.99999", paperpicks.VoteUp, t0); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("feedback on unknown paper: %v", err)
	}
	f := paperpicks.Feedback{UserID: "ghost", PaperID: "2401.00001", Value: paperpicks.VoteUp, At: t0}
	if _, err := s.ApplyFeedback(ctx, f, "sp", sumUpdate(f, 8, index)); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("feedback of unknown user: %v", err)
	}

	// A profile in an old space is rebuilt from the whole log.
	f = paperpicks.Feedback{UserID: "u1", PaperID: "2401.00005", Value: paperpicks.VoteUp, At: t0.Add(time.Hour)}
	var sawRebuild int
	_, err = s.ApplyFeedback(ctx, f, "sp-new", func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		sawRebuild = len(rebuild)
		return sumUpdate(f, 8, index)(prev, p, rebuild)
	})
	if err != nil || sawRebuild != len(steps)+1 {
		t.Errorf("space change: rebuild log of %d events (%v), want %d", sawRebuild, err, len(steps)+1)
	}
	if p, _ := s.GetProfile(ctx, "u1"); p.Space != "sp-new" || p.UpW != 3 {
		t.Errorf("rebuilt profile = %+v", p)
	}
	// Profiles put in bulk replace what is stored; of a user given twice,
	// the last one wins.
	put := func(w float64) *store.ProfileSums {
		return &store.ProfileSums{UserID: "u1", Space: "sp-put", UpSum: make([]float32, 8), DownSum: make([]float32, 8), UpW: w}
	}
	if err := s.PutProfiles(ctx, []*store.ProfileSums{put(5), put(7)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.GetProfile(ctx, "u1"); p.Space != "sp-put" || p.UpW != 7 {
		t.Errorf("after PutProfiles = %+v, want the last of two for u1", p)
	}
	if err := s.PutProfiles(ctx, []*store.ProfileSums{put(3)}); err != nil {
		t.Fatal(err)
	}

	// Current up votes: 00001 at t0, 00002 at t0+6m, 00005 at t0+1h.
	up, err := s.UpVotesSince(ctx, t0.Add(3*time.Minute), t0.Add(66*time.Minute), time.Hour)
	if err != nil || len(up) != 2 || up["2401.00002"].Votes != 1 || math.Abs(up["2401.00002"].Score-0.5) > 1e-9 ||
		math.Abs(up["2401.00005"].Score-math.Exp2(-0.1)) > 1e-9 {
		t.Errorf("UpVotesSince = %+v, %v; want 00002 weighted 0.5 (an hour old), 00005 2^-0.1", up, err)
	}
	// A vote newer than now counts whole; without a half-life every vote does.
	up, err = s.UpVotesSince(ctx, t0.Add(3*time.Minute), t0.Add(30*time.Minute), time.Hour)
	if err != nil || math.Abs(up["2401.00005"].Score-1) > 1e-9 || math.Abs(up["2401.00002"].Score-math.Exp2(-0.4)) > 1e-9 {
		t.Errorf("UpVotesSince before the newest vote = %+v, %v", up, err)
	}
	up, err = s.UpVotesSince(ctx, t0, t0.Add(66*time.Minute), 0)
	if err != nil || len(up) != 3 || up["2401.00001"].Score != 1 || up["2401.00005"].Votes != 1 {
		t.Errorf("UpVotesSince without decay = %+v, %v", up, err)
	}
	users := 0
	err = s.ScanVotes(ctx, func(uid string, votes []store.Vote) error {
		users++
		if uid != "u1" || len(votes) != 3 {
			return fmt.Errorf("ScanVotes(%s) = %d votes", uid, len(votes))
		}
		return nil
	})
	if err != nil || users != 1 {
		t.Errorf("ScanVotes: %v over %d users", err, users)
	}
	if err := s.DeleteUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.FeedbackLog(ctx, "u1"); len(log) != 0 {
		t.Errorf("deleting a user kept %d feedback events", len(log))
	}
	if _, err := s.GetProfile(ctx, "u1"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("deleting a user kept the profile: %v", err)
	}
}

// testConcurrentFeedback has 100 goroutines vote for one user at once: the
// stored profile must equal a replay of the log.
func testConcurrentFeedback(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	const n = 100
	var papers []store.PaperVector
	index := map[string]int{}
	for i := 0; i < n/4; i++ {
		id := fmt.Sprintf("2402.%05d", i)
		index[id] = i
		papers = append(papers, pv(paper(id), 1))
	}
	mustUpsert(t, s, "sp", t0, papers...)
	if err := s.CreateUser(ctx, user("u1", ""), "h1"); err != nil {
		t.Fatal(err)
	}
	values := []paperpicks.Vote{paperpicks.VoteUp, paperpicks.VoteDown, paperpicks.VoteNone, paperpicks.VoteUp}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := 0; g < n; g++ {
		wg.Go(func() {
			f := paperpicks.Feedback{UserID: "u1", PaperID: fmt.Sprintf("2402.%05d", g%(n/4)), Value: values[g%4], At: t0.Add(time.Duration(g) * time.Second)}
			if _, err := s.ApplyFeedback(ctx, f, "sp", sumUpdate(f, n/4, index)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	log, err := s.FeedbackLog(ctx, "u1")
	if err != nil || len(log) != n {
		t.Fatalf("log has %d events, %v; want %d", len(log), err, n)
	}
	want := &store.ProfileSums{UserID: "u1"}
	sumUpdate(paperpicks.Feedback{}, n/4, index)(nil, want, log)
	got, err := s.GetProfile(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if got.UpW != want.UpW || got.DownW != want.DownW || fmt.Sprint(got.UpSum) != fmt.Sprint(want.UpSum) || fmt.Sprint(got.DownSum) != fmt.Sprint(want.DownSum) {
		t.Errorf("profile after concurrent feedback %+v differs from the replay of its log %+v", got, want)
	}
}

func testImportUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	mustUpsert(t, s, "sp", t0, pv(paper("2401.00001"), 1), pv(paper("2401.00002"), 1), pv(paper("2401.00003"), 1))
	log := []paperpicks.Feedback{
		{UserID: "i1", PaperID: "2401.00001", Value: paperpicks.VoteUp, At: t0},
		{UserID: "i1", PaperID: "2401.00002", Value: paperpicks.VoteDown, At: t0.Add(time.Minute)},
		{UserID: "i1", PaperID: "2401.00003", Value: paperpicks.VoteUp, At: t0.Add(2 * time.Minute)},
		{UserID: "i1", PaperID: "2401.00003", Value: paperpicks.VoteNone, At: t0.Add(3 * time.Minute)},
		{UserID: "i1", PaperID: "2401.00002", Value: paperpicks.VoteUp, At: t0.Add(4 * time.Minute)},
	}
	prof := &store.ProfileSums{Space: "sp", UpSum: []float32{1, 2}, DownSum: []float32{0, 0}, UpW: 2, RefTime: t0, UpdatedAt: t0}
	err := s.ImportUsers(ctx, []store.UserImport{
		{User: user("i1", "i1@example.org"), TokenHash: "ih1", Log: log, Profile: prof},
		{User: user("i2", ""), TokenHash: "ih2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.UserByTokenHash(ctx, "ih1"); err != nil || u.ID != "i1" {
		t.Errorf("imported user by token: %+v, %v", u, err)
	}
	votes, _ := s.Votes(ctx, "i1")
	if len(votes) != 2 || votes[0].PaperID != "2401.00002" || votes[0].Value != paperpicks.VoteUp || votes[1].PaperID != "2401.00001" {
		t.Errorf("imported votes = %+v; want 00002 up (last write) and 00001 up, 00003 taken back", votes)
	}
	if got, _ := s.FeedbackLog(ctx, "i1"); len(got) != 5 {
		t.Errorf("imported log has %d events", len(got))
	}
	if p, err := s.GetProfile(ctx, "i1"); err != nil || p.UpW != 2 || p.UpSum[1] != 2 || p.Space != "sp" {
		t.Errorf("imported profile = %+v, %v", p, err)
	}
	if err := s.ImportUsers(ctx, []store.UserImport{{User: user("i3", "I1@example.org"), TokenHash: "ih3"}}); paperpicks.ErrorCode(err) != paperpicks.ECONFLICT {
		t.Errorf("import with a taken email: %v, want conflict", err)
	}
	if _, err := s.GetUser(ctx, "i3"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("a failed import left user i3 behind: %v", err)
	}
}
