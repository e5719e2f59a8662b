package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// testDelivery covers what the digest, the web pages and the feeds store:
// settings, digest send records, sessions and feed tokens.
func testDelivery(t *testing.T, s store.Store) {
	defer s.Close()
	ctx := context.Background()
	for _, u := range []string{"d1", "d2"} {
		if err := s.CreateUser(ctx, user(u, u+"@Example.org"), "h"+u); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Settings", func(t *testing.T) { testSettings(t, s) })
	t.Run("DigestClaims", func(t *testing.T) { testDigestClaims(t, s) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testConcurrentClaims(t, s) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, s) })
	t.Run("Feeds", func(t *testing.T) { testFeeds(t, s) })
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetSetting(ctx, "secret"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Fatalf("GetSetting before any: %v, want not_found", err)
	}
	// Instances starting together all end up with the first value stored.
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = s.InitSetting(ctx, "secret", []byte{byte(i), 0, 255}) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("InitSetting %d = %v, first = %v: instances disagree", i, got[i], got[0])
		}
	}
	if v, err := s.GetSetting(ctx, "secret"); err != nil || !bytes.Equal(v, got[0]) {
		t.Errorf("GetSetting = %v, %v; want %v", v, err, got[0])
	}
	if v, _ := s.InitSetting(ctx, "secret", []byte("other")); !bytes.Equal(v, got[0]) {
		t.Errorf("a later InitSetting replaced the value: %v", v)
	}
	big := bytes.Repeat([]byte{7}, 1<<20) // a learned model is a MiB
	for _, v := range [][]byte{[]byte("v1"), big} {
		if err := s.PutSetting(ctx, "model", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetSetting(ctx, "model"); err != nil || !bytes.Equal(got, v) {
			t.Errorf("after PutSetting: %d bytes, %v; want %d", len(got), err, len(v))
		}
	}
}

func testDigestClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	const date, lease = "2026-11-02", time.Minute
	type step struct {
		name        string
		at          time.Time
		finish      *store.DigestSend // recorded after a successful claim
		wantClaimed bool
		wantStatus  string // after the step
		wantAttempt int
	}
	fail := &store.DigestSend{Status: store.DigestFailed, Error: "450 try later", NextAttempt: t0.Add(10 * time.Minute)}
	sent := &store.DigestSend{Status: store.DigestSent, SentAt: t0.Add(20 * time.Minute), MessageID: "<m1@example.org>"}
	steps := []step{
		{"first claim", t0, nil, true, store.DigestSending, 1},
		{"held by its lease", t0.Add(30 * time.Second), nil, false, store.DigestSending, 1},
		{"lease ran out: the holder died", t0.Add(lease), fail, true, store.DigestFailed, 2},
		{"failed, not due yet", t0.Add(5 * time.Minute), nil, false, store.DigestFailed, 2},
		{"failed and due", t0.Add(10 * time.Minute), sent, true, store.DigestSent, 3},
		{"sent is final", t0.Add(time.Hour), nil, false, store.DigestSent, 3},
	}
	for _, st := range steps {
		d, claimed, err := s.ClaimDigest(ctx, "d1", date, st.at, lease)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if claimed != st.wantClaimed {
			t.Fatalf("%s: claimed = %v, want %v (%+v)", st.name, claimed, st.wantClaimed, d)
		}
		if claimed && (!d.LeaseUntil.Equal(st.at.Add(lease)) || d.Status != store.DigestSending) {
			t.Errorf("%s: claim = %+v, want sending until %v", st.name, d, st.at.Add(lease))
		}
		if st.finish != nil {
			f := *st.finish
			f.UserID, f.Date, f.Attempts = "d1", date, d.Attempts
			if err := s.FinishDigest(ctx, &f); err != nil {
				t.Fatalf("%s: finish: %v", st.name, err)
			}
		}
		all, err := s.DigestSends(ctx, date)
		if err != nil || len(all) != 1 {
			t.Fatalf("%s: DigestSends = %v, %v", st.name, all, err)
		}
		if got := all[0]; got.Status != st.wantStatus || got.Attempts != st.wantAttempt {
			t.Errorf("%s: record = %+v, want %s after %d attempts", st.name, got, st.wantStatus, st.wantAttempt)
		}
	}
	all, _ := s.DigestSends(ctx, date)
	if d := all[0]; !d.SentAt.Equal(sent.SentAt) || d.MessageID != sent.MessageID || d.Error != "" || !d.LeaseUntil.IsZero() {
		t.Errorf("sent record = %+v", d)
	}
	// A finish from a claim that lost its lease is refused.
	stale := &store.DigestSend{UserID: "d1", Date: date, Attempts: 1, Status: store.DigestSent}
	if err := s.FinishDigest(ctx, stale); paperpicks.ErrorCode(err) != paperpicks.ECONFLICT {
		t.Errorf("finish with a stale attempt: %v, want conflict", err)
	}
	// Gave up and skipped are final too; other dates and users are apart.
	for _, status := range []string{store.DigestGaveUp, store.DigestSkipped} {
		date := "2026-11-03"
		if status == store.DigestSkipped {
			date = "2026-11-04"
		}
		d, claimed, err := s.ClaimDigest(ctx, "d2", date, t0, lease)
		if err != nil || !claimed || d.Attempts != 1 {
			t.Fatalf("claim for %s: %+v %v %v", date, d, claimed, err)
		}
		d.Status = status
		if err := s.FinishDigest(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, claimed, _ := s.ClaimDigest(ctx, "d2", date, t0.Add(48*time.Hour), lease); claimed {
			t.Errorf("a %s record was claimed again", status)
		}
	}
	if _, _, err := s.ClaimDigest(ctx, "nobody", date, t0, lease); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("claim for an unknown user: %v, want not_found", err)
	}
}

// Senders on several instances race for the same rows: each is claimed once.
func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	const date = "2026-11-05"
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := map[string]int{}
	for range 8 {
		wg.Go(func() {
			for _, u := range []string{"d1", "d2"} {
				_, claimed, err := s.ClaimDigest(ctx, u, date, t0, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if claimed {
					mu.Lock()
					wins[u]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if wins["d1"] != 1 || wins["d2"] != 1 {
		t.Errorf("claims won per user = %v, want exactly one each", wins)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if u, err := s.UserByEmail(ctx, " D1@EXAMPLE.org "); err != nil || u.ID != "d1" {
		t.Errorf("UserByEmail = %+v, %v", u, err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.org"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("UserByEmail(unknown) = %v, want not_found", err)
	}
	old := &store.Session{TokenHash: "old", UserID: "d1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSession(ctx, "old", t0.Add(time.Minute)); err != nil || got.UserID != "d1" || !got.ExpiresAt.Equal(old.ExpiresAt) {
		t.Errorf("GetSession = %+v, %v", got, err)
	}
	if _, err := s.GetSession(ctx, "old", t0.Add(time.Hour)); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("expired session: %v, want not_found", err)
	}
	// A new session prunes expired ones.
	cur := &store.Session{TokenHash: "cur", UserID: "d2", CreatedAt: t0.Add(2 * time.Hour), ExpiresAt: t0.Add(48 * time.Hour)}
	if err := s.CreateSession(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "old", t0); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("expired session survived pruning: %v", err)
	}
	if err := s.CreateSession(ctx, &store.Session{TokenHash: "x", UserID: "nobody", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("session for an unknown user: %v, want not_found", err)
	}
	if err := s.DeleteSession(ctx, "cur"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "cur", t0.Add(3*time.Hour)); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("deleted session: %v, want not_found", err)
	}
	if err := s.DeleteSession(ctx, "cur"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

func testFeeds(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.UserByFeedToken(ctx, "f1"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("unknown feed: %v", err)
	}
	if err := s.SetFeedToken(ctx, "d1", "f1", t0); err != nil {
		t.Fatal(err)
	}
	if id, err := s.UserByFeedToken(ctx, "f1"); err != nil || id != "d1" {
		t.Errorf("UserByFeedToken = %q, %v", id, err)
	}
	// Rotating replaces: the old token stops working.
	if err := s.SetFeedToken(ctx, "d1", "f2", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByFeedToken(ctx, "f1"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("old feed token after rotation: %v, want not_found", err)
	}
	if id, _ := s.UserByFeedToken(ctx, "f2"); id != "d1" {
		t.Errorf("new feed token = %q", id)
	}
	if err := s.SetFeedToken(ctx, "nobody", "f3", t0); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("feed token for an unknown user: %v", err)
	}

	for i, date := range []string{"2026-11-01", "2026-11-03", "2026-11-02", "2026-11-05"} {
		if err := s.SavePicks(ctx, date, map[string][]paperpicks.Pick{"d1": picksFor("d1", date, fmt.Sprint("p", i), "q")}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PickDates(ctx, "d1", "2026-11-04", 2)
	if err != nil || !slices.Equal(got, []string{"2026-11-03", "2026-11-02"}) {
		t.Errorf("PickDates = %v, %v; want the two latest on or before 11-04, newest first", got, err)
	}
	if got, _ := s.PickDates(ctx, "d2", "2026-12-31", 10); len(got) != 0 {
		t.Errorf("PickDates of a user without picks = %v", got)
	}
	// Deleting the user takes sessions, feeds and digest records along.
	if err := s.DeleteUser(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByFeedToken(ctx, "f2"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("feed of a deleted user: %v", err)
	}
	sends, err := s.DigestSends(ctx, "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sends {
		if d.UserID == "d1" {
			t.Errorf("digest record of a deleted user: %+v", d)
		}
	}
}
