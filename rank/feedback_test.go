package rank_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

// mapVectors is the VectorSource the catalog's index provides, reduced to
// a map for tests that need exact control over vectors.
type mapVectors map[string][]float32

func (mapVectors) Name() string { return "test-space" }
func (m mapVectors) Vector(id string) ([]float32, bool) {
	v, ok := m[id]
	return append([]float32(nil), v...), ok
}

var t0 = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

// seed stores n papers with random unit vectors and one user.
func seed(t *testing.T, s store.Store, n, dim int) mapVectors {
	t.Helper()
	ctx := context.Background()
	vecs := mapVectors{}
	var batch []store.PaperVector
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("2403.%05d", i)
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(math.Sin(float64(i*dim + j + 1)))
		}
		vecs[id] = embed.Normalize(v)
		p := paperpicks.Paper{ID: id, Title: "T" + id, Abstract: "A"}
		batch = append(batch, store.PaperVector{Paper: p, TextHash: "h", Vector: vecs[id]})
	}
	if _, err := s.UpsertPapers(ctx, "test-space", batch, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &paperpicks.User{ID: "u1", TimeZone: "UTC", PicksPerDay: 10, CreatedAt: t0}, "h1"); err != nil {
		t.Fatal(err)
	}
	return vecs
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDecayedProfileMatchesDirectSumAndReplay(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	vecs := seed(t, s, 6, 8)
	clock := t0
	p := rank.NewProfiles(s, func() rank.VectorSource { return vecs }, time.Hour, func() time.Time { return clock })
	steps := []struct {
		after time.Duration
		paper string
		v     paperpicks.Vote
	}{
		{0, "2403.00000", paperpicks.VoteUp},
		{30 * time.Minute, "2403.00001", paperpicks.VoteUp},
		{time.Hour, "2403.00002", paperpicks.VoteDown},
		{2 * time.Hour, "2403.00001", paperpicks.VoteNone}, // taken back
		{2 * time.Hour, "2403.00003", paperpicks.VoteUp},
		{3 * time.Hour, "2403.00002", paperpicks.VoteUp}, // down becomes up
	}
	for _, st := range steps {
		clock = t0.Add(st.after)
		if _, err := p.Feedback(ctx, "u1", st.paper, st.v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetProfile(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	// Computed independently: each current up vote weighs 2^-(age/1h) at
	// the last event (t0+3h); no down votes remain.
	now := t0.Add(3 * time.Hour)
	want := make([]float64, 8)
	wantW := 0.0
	for paper, at := range map[string]time.Time{"2403.00000": t0, "2403.00003": t0.Add(2 * time.Hour), "2403.00002": now} {
		w := math.Exp2(-now.Sub(at).Hours())
		wantW += w
		for j, x := range vecs[paper] {
			want[j] += w * float64(x)
		}
	}
	if math.Abs(got.UpW-wantW) > 1e-6 || got.DownW > 1e-6 {
		t.Errorf("weights up %.6f down %.6f, want %.6f and 0", got.UpW, got.DownW, wantW)
	}
	for j := range want {
		if math.Abs(float64(got.UpSum[j])-want[j]) > 1e-5 {
			t.Fatalf("up sum[%d] = %.6f, want %.6f", j, got.UpSum[j], want[j])
		}
	}
	replayed, err := p.Recompute(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(replayed.UpSum, replayed.DownSum, replayed.UpW, replayed.DownW) != fmt.Sprint(got.UpSum, got.DownSum, got.UpW, got.DownW) {
		t.Errorf("replay of the log differs from the incremental profile:\n%v\n%v", replayed, got)
	}
}

// ConcurrentFeedback: 100 goroutines vote for one user at once; the stored
// profile equals the replay of the log, bit for bit.
func testConcurrentFeedback(t *testing.T, s store.Store) {
	ctx := context.Background()
	vecs := seed(t, s, 25, 16)
	p := rank.NewProfiles(s, func() rank.VectorSource { return vecs }, 24*time.Hour, nil)
	values := []paperpicks.Vote{paperpicks.VoteUp, paperpicks.VoteDown, paperpicks.VoteNone, paperpicks.VoteUp}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 100; g++ {
		wg.Go(func() {
			if _, err := p.Feedback(ctx, "u1", fmt.Sprintf("2403.%05d", g%25), values[g%4]); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.GetProfile(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.Recompute(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.UpSum, got.DownSum, got.UpW, got.DownW) != fmt.Sprint(want.UpSum, want.DownSum, want.UpW, want.DownW) {
		t.Errorf("profile after 100 concurrent votes differs from the replay of the log")
	}
	if log, _ := s.FeedbackLog(ctx, "u1"); len(log) != 100 {
		t.Errorf("log has %d events, want 100", len(log))
	}
}

func TestConcurrentFeedbackSQLite(t *testing.T) { testConcurrentFeedback(t, openSQLite(t)) }

func TestConcurrentFeedbackPostgres(t *testing.T) { testConcurrentFeedback(t, openPostgres(t)) }
