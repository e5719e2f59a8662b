package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
)

// Feedback events that arrive together share a transaction; one that
// fails must fail alone, and an unknown user alone too, while every other
// event of the batch is stored.
func TestGroupedFeedbackFailsAlone(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	const users, dim = 8, 4
	var papers []store.PaperVector
	for i := range 40 {
		p := paperpicks.Paper{ID: fmt.Sprintf("2601.%05d", i), Title: "T", Abstract: "A"}
		papers = append(papers, store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text()), Vector: []float32{1, 0, 0, 0}})
	}
	if _, err := s.UpsertPapers(ctx, "sp", papers, time.Now()); err != nil {
		t.Fatal(err)
	}
	for u := range users {
		if err := s.CreateUser(ctx, &paperpicks.User{ID: fmt.Sprintf("u%d", u), TimeZone: "UTC", PicksPerDay: 5, CreatedAt: time.Now()}, fmt.Sprintf("h%d", u)); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	add := func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		if p.UpSum == nil {
			p.UpSum, p.DownSum = make([]float32, dim), make([]float32, dim)
		}
		p.UpSum[0]++
		p.UpW++
		return nil
	}
	fail := func(*store.Vote, *store.ProfileSums, []paperpicks.Feedback) error { return boom }

	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range 40 {
			wg.Go(func() {
				f := paperpicks.Feedback{UserID: fmt.Sprintf("u%d", i%users), PaperID: fmt.Sprintf("2601.%05d", i), Value: paperpicks.VoteUp, At: time.Now()}
				update := add
				switch i {
				case 7:
					update = fail
				case 13:
					f.UserID = "nobody"
				}
				// Rounds alternate up and none; the failing update only runs
				// on a change, so in the "none" rounds it is not reached.
				f.Value = []paperpicks.Vote{paperpicks.VoteUp, paperpicks.VoteNone}[round%2]
				_, errs[i] = s.ApplyFeedback(ctx, f, "sp", update)
			})
		}
		wg.Wait()
		for i, err := range errs {
			switch i {
			case 7:
				if round%2 == 0 && !errors.Is(err, boom) || round%2 == 1 && err != nil {
					t.Fatalf("round %d: the failing event returned %v", round, err)
				}
			case 13:
				if !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
					t.Fatalf("round %d: the unknown user returned %v, want not found", round, err)
				}
			default:
				if err != nil {
					t.Fatalf("round %d: event %d failed with its batch: %v", round, i, err)
				}
			}
		}
	}
	// After rounds up, none, up, none, up: every good event is an up vote
	// with its five events logged; the failing one never got a vote, and
	// only its two unchanged "none" events are in the log.
	for u := range users {
		uid := fmt.Sprintf("u%d", u)
		votes, err := s.Votes(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		wantVotes, wantLog := 5, 25
		switch u {
		case 7 % users:
			wantVotes, wantLog = 4, 4*5+2
		case 13 % users:
			wantVotes, wantLog = 4, 4*5 // paper 13 was sent for "nobody"
		}
		if len(votes) != wantVotes {
			t.Errorf("%s has %d votes, want %d", uid, len(votes), wantVotes)
		}
		log, err := s.FeedbackLog(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != wantLog {
			t.Errorf("%s has %d logged events, want %d", uid, len(log), wantLog)
		}
	}
}
