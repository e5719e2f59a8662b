package postgres

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
)

// A group of events applied in one transaction (two round trips) must
// leave exactly what the same events leave one transaction each: the same
// answers, votes, log and profiles, including a vote toggled several
// times within the group, events of one user in two spaces, a profile
// rebuilt from the log, and events whose user or paper does not exist.
func TestFeedbackGroupEqualsOneByOne(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vec := map[string][]float32{}
	var papers []store.PaperVector
	for i := range 4 {
		p := paperpicks.Paper{ID: fmt.Sprintf("2601.0000%d", i), Title: "T", Abstract: "A"}
		vec[p.ID] = []float32{float32(i + 1), float32(i * i), 1}
		papers = append(papers, store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text()), Vector: vec[p.ID]})
	}
	if _, err := s.UpsertPapers(ctx, "sp", papers, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a1", "a2", "a3", "b1", "b2", "b3"} {
		if err := s.CreateUser(ctx, &paperpicks.User{ID: u, TimeZone: "UTC", PicksPerDay: 5, CreatedAt: time.Now()}, "h"+u); err != nil {
			t.Fatal(err)
		}
	}
	// Users 2 start with a profile in an older space: their first change
	// rebuilds it from the log.
	for _, u := range []string{"a2", "b2"} {
		if err := s.PutProfiles(ctx, []*store.ProfileSums{{UserID: u, Space: "old", UpSum: []float32{9, 9, 9}, DownSum: []float32{0, 0, 0}, UpW: 1}}); err != nil {
			t.Fatal(err)
		}
	}

	type ev struct {
		user, paper string
		v           paperpicks.Vote
		space       string
	}
	events := []ev{
		{"1", "2601.00000", "up", "sp"}, {"1", "2601.00000", "none", "sp"}, {"1", "2601.00000", "up", "sp"},
		{"1", "2601.00001", "down", "sp"}, {"1", "2601.00000", "up", "sp"}, {"1", "2601.00001", "up", "sp"},
		{"1", "2601.99999", "up", "sp"}, // no such paper
		{"2", "2601.00002", "up", "sp"}, {"2", "2601.00003", "down", "sp"}, {"2", "2601.00002", "none", "sp"},
		{"3", "2601.00001", "up", "sp"}, {"3", "2601.00002", "up", "sp2"}, {"3", "2601.00003", "up", "sp2"},
		{"9", "2601.00000", "up", "sp"}, // no such user
	}
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	calls := map[string][]int{} // prefix → calls of each event's update
	jobs := func(prefix string) []*feedbackJob {
		var out []*feedbackJob
		calls[prefix] = make([]int, len(events))
		for i, e := range events {
			f := paperpicks.Feedback{UserID: prefix + e.user, PaperID: e.paper, Value: e.v, At: base.Add(time.Duration(i) * time.Second)}
			update := profileUpdate(vec, f, e.space)
			counted := func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
				calls[prefix][i]++
				return update(prev, p, rebuild)
			}
			out = append(out, &feedbackJob{ctx: ctx, f: f, space: e.space, update: counted})
		}
		return out
	}

	grouped := jobs("a")
	if err := s.tx(ctx, func(tx pgx.Tx) error { return applyFeedbackGroup(ctx, tx, grouped) }); err != nil {
		t.Fatal(err)
	}
	single := jobs("b")
	for _, j := range single {
		if err := s.tx(ctx, func(tx pgx.Tx) error { return applyFeedbackGroup(ctx, tx, []*feedbackJob{j}) }); err != nil {
			t.Fatal(err)
		}
	}

	for i := range events {
		g, o := grouped[i], single[i]
		if g.changed != o.changed || paperpicks.ErrorCode(g.err) != paperpicks.ErrorCode(o.err) {
			t.Errorf("event %d %+v: grouped changed=%v err=%v, one by one changed=%v err=%v", i, events[i], g.changed, g.err, o.changed, o.err)
		}
	}
	if !reflect.DeepEqual(calls["a"], calls["b"]) {
		t.Errorf("updates called per event: grouped %v, one by one %v", calls["a"], calls["b"])
	}
	if grouped[6].err == nil || grouped[13].err == nil {
		t.Errorf("events with an unknown paper or user succeeded: %v, %v", grouped[6].err, grouped[13].err)
	}
	for _, u := range []string{"1", "2", "3"} {
		gv, _ := s.Votes(ctx, "a"+u)
		ov, _ := s.Votes(ctx, "b"+u)
		if !reflect.DeepEqual(gv, ov) {
			t.Errorf("user %s: grouped votes %+v, one by one %+v", u, gv, ov)
		}
		gl, _ := s.FeedbackLog(ctx, "a"+u)
		ol, _ := s.FeedbackLog(ctx, "b"+u)
		if len(gl) != len(ol) {
			t.Fatalf("user %s: grouped log has %d events, one by one %d", u, len(gl), len(ol))
		}
		for i := range gl {
			if gl[i].PaperID != ol[i].PaperID || gl[i].Value != ol[i].Value || !gl[i].At.Equal(ol[i].At) {
				t.Errorf("user %s, log entry %d: grouped %+v, one by one %+v", u, i, gl[i], ol[i])
			}
		}
		gp, err := s.GetProfile(ctx, "a"+u)
		if err != nil {
			t.Fatal(err)
		}
		op, _ := s.GetProfile(ctx, "b"+u)
		gp.UserID, op.UserID = "", ""
		gp.UpdatedAt, op.UpdatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(gp, op) {
			t.Errorf("user %s: grouped profile %+v, one by one %+v", u, gp, op)
		}
	}
	if v, _ := s.Votes(ctx, "a1"); len(v) != 2 || v[0].Value != paperpicks.VoteUp || v[1].Value != paperpicks.VoteUp {
		t.Errorf("user a1 ends with votes %+v, want two ups", v)
	}
}

// profileUpdate is the arithmetic of rank's profiles in miniature: sums
// of the vectors of up and down votes, incremental or replayed from the
// log, in the given space.
func profileUpdate(vec map[string][]float32, f paperpicks.Feedback, space string) func(*store.Vote, *store.ProfileSums, []paperpicks.Feedback) error {
	apply := func(p *store.ProfileSums, prev *store.Vote, f paperpicks.Feedback) {
		if p.UpSum == nil {
			p.UpSum, p.DownSum = make([]float32, 3), make([]float32, 3)
		}
		add := func(v paperpicks.Vote, sign float32) {
			sum, w := p.UpSum, &p.UpW
			if v == paperpicks.VoteDown {
				sum, w = p.DownSum, &p.DownW
			}
			for i, x := range vec[f.PaperID] {
				sum[i] += sign * x
			}
			*w += float64(sign)
		}
		if prev != nil {
			add(prev.Value, -1)
		}
		if f.Value != paperpicks.VoteNone {
			add(f.Value, 1)
		}
	}
	return func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		if rebuild == nil {
			apply(p, prev, f)
			return nil
		}
		*p = store.ProfileSums{UserID: p.UserID, Space: space}
		state := map[string]*store.Vote{}
		for _, e := range rebuild {
			old := state[e.PaperID]
			if old == nil && e.Value == paperpicks.VoteNone || old != nil && old.Value == e.Value {
				continue
			}
			apply(p, old, e)
			if e.Value == paperpicks.VoteNone {
				delete(state, e.PaperID)
			} else {
				state[e.PaperID] = &store.Vote{PaperID: e.PaperID, Value: e.Value}
			}
		}
		return nil
	}
}
