package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func picksFor(user, date string, papers ...string) []paperpicks.Pick {
	var out []paperpicks.Pick
	for i, p := range papers {
		out = append(out, paperpicks.Pick{UserID: user, Date: date, Rank: i + 1, PaperID: p, Score: 1 / float64(i+1), Reason: "2401.00000", Kind: paperpicks.PickPersonal})
	}
	return out
}

func testPicks(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	for _, u := range []string{"u1", "u2"} {
		if err := s.CreateUser(ctx, user(u, ""), "h"+u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetPicks(ctx, "u1", "2026-11-02"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("picks before any run: %v, want not_found", err)
	}
	err := s.SavePicks(ctx, "2026-11-02", map[string][]paperpicks.Pick{
		"u1": picksFor("u1", "2026-11-02", "a", "b", "c"),
		"u2": picksFor("u2", "2026-11-02", "b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPicks(ctx, "u1", "2026-11-02")
	if err != nil || len(got) != 3 || got[0].PaperID != "a" || got[2].Rank != 3 || got[1].Kind != paperpicks.PickPersonal || got[0].Reason != "2401.00000" || got[1].Score != 0.5 {
		t.Fatalf("GetPicks = %+v, %v", got, err)
	}
	// A rerun replaces undelivered picks without duplicating them...
	s.SavePicks(ctx, "2026-11-02", map[string][]paperpicks.Pick{"u1": picksFor("u1", "2026-11-02", "c", "d")})
	if got, _ := s.GetPicks(ctx, "u1", "2026-11-02"); len(got) != 2 || got[0].PaperID != "c" {
		t.Errorf("after rerun: %+v", got)
	}
	// ...but never changes what was delivered.
	if err := s.MarkDelivered(ctx, "u1", "2026-11-02", t0); err != nil {
		t.Fatal(err)
	}
	s.SavePicks(ctx, "2026-11-02", map[string][]paperpicks.Pick{"u1": picksFor("u1", "2026-11-02", "x")})
	if got, _ := s.GetPicks(ctx, "u1", "2026-11-02"); len(got) != 2 || got[0].PaperID != "c" {
		t.Errorf("delivered picks changed by a rerun: %+v", got)
	}
	if err := s.MarkDelivered(ctx, "u2", "2026-12-31", t0); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("MarkDelivered without picks: %v", err)
	}

	s.SavePicks(ctx, "2026-11-03", map[string][]paperpicks.Pick{"u1": picksFor("u1", "2026-11-03", "e")})
	picked := map[string]string{}
	err = s.ScanPicked(ctx, "2026-11-03", func(u string, ids []string) error {
		picked[u] = fmt.Sprint(ids)
		return nil
	})
	if err != nil || picked["u1"] != "[c d]" || picked["u2"] != "[b]" {
		t.Errorf("ScanPicked before 11-03 = %v, %v", picked, err)
	}

	if _, err := s.GetRun(ctx, "2026-11-02"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("GetRun before start: %v", err)
	}
	if r, err := s.StartRun(ctx, "2026-11-02", t0, t0.Add(-time.Minute)); err != nil || r.Status != "running" || !r.Cutoff.Equal(t0.Add(-time.Minute)) {
		t.Fatalf("StartRun = %+v, %v", r, err)
	}
	if r, _ := s.GetRun(ctx, "2026-11-02"); r.Status != "running" || !r.StartedAt.Equal(t0) {
		t.Errorf("started run = %+v", r)
	}
	fin := &store.Run{Date: "2026-11-02", FinishedAt: t0.Add(time.Minute), Users: 2, Picks: 3, Status: "failed", Error: "boom"}
	if err := s.FinishRun(ctx, fin); err != nil {
		t.Fatal(err)
	}
	r, _ := s.GetRun(ctx, "2026-11-02")
	if r.Status != "failed" || r.Error != "boom" || r.Users != 2 || r.Picks != 3 || !r.FinishedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("finished run = %+v", r)
	}
	// Retrying clears the failure and keeps the first cutoff.
	s.StartRun(ctx, "2026-11-02", t0.Add(time.Hour), t0.Add(time.Hour))
	if r, _ := s.GetRun(ctx, "2026-11-02"); r.Status != "running" || r.Error != "" || !r.FinishedAt.IsZero() || !r.Cutoff.Equal(t0.Add(-time.Minute)) {
		t.Errorf("restarted run = %+v", r)
	}

	// Deleting a user deletes their picks.
	s.DeleteUser(ctx, "u2")
	if _, err := s.GetPicks(ctx, "u2", "2026-11-02"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("picks of a deleted user: %v", err)
	}
}
