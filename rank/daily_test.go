package rank_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeClock is a settable clock for the ranker, catalog and scheduler.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// world is a catalog of the sample papers with users, on a real store.
type world struct {
	st       store.Store
	cat      *catalog.Catalog
	profiles *rank.Profiles
	ranker   *rank.Ranker
	clock    *fakeClock
	papers   []string
}

func newWorld(t *testing.T, st store.Store, cfg rank.DailyConfig) *world {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	ccfg := catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()}
	ccfg.Local.Dim = 64
	cat, err := catalog.Open(ctx, st, ccfg, quiet, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.IngestReader(ctx, bytes.NewReader(paperpicks.SampleCatalog), "", "sample"); err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, cat: cat, clock: clock}
	vectors := func() rank.VectorSource {
		if sp := cat.Space(); sp != nil {
			return sp
		}
		return nil
	}
	w.profiles = rank.NewProfiles(st, vectors, 0, clock.Now)
	w.ranker = rank.NewRanker(st, cat.Space, cfg, quiet, clock.Now)
	ids, _ := cat.Space().Index.Since(time.Time{}, clock.Now().Add(time.Hour))
	w.papers = ids
	return w
}

func (w *world) user(t *testing.T, id string, k int, likes ...string) {
	t.Helper()
	ctx := context.Background()
	if err := w.st.CreateUser(ctx, &paperpicks.User{ID: id, TimeZone: "UTC", PicksPerDay: k, CreatedAt: w.clock.Now()}, "h-"+id); err != nil {
		t.Fatal(err)
	}
	for _, p := range likes {
		if _, err := w.profiles.Feedback(ctx, id, p, paperpicks.VoteUp); err != nil {
			t.Fatal(err)
		}
	}
}

func picks(t *testing.T, st store.Store, user, date string) []paperpicks.Pick {
	t.Helper()
	p, err := st.GetPicks(context.Background(), user, date)
	if err != nil {
		t.Fatalf("picks of %s on %s: %v", user, date, err)
	}
	return p
}

func ids(ps []paperpicks.Pick) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s:%s", p.PaperID, p.Kind))
	}
	return fmt.Sprint(s)
}

func TestDailyRunSQLite(t *testing.T) { testDailyRun(t, openSQLite(t)) }

func TestDailyRunPostgres(t *testing.T) { testDailyRun(t, openPostgres(t)) }

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testDailyRun(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := newWorld(t, st, rank.DailyConfig{})
	liked := w.papers[:3]
	w.user(t, "alice", 5, liked...)
	w.user(t, "bob", 4) // no likes: trending, then newest
	w.user(t, "carol", 3, w.papers[10])

	w.clock.Set(w.clock.Now().Add(time.Hour))
	run, err := w.ranker.RunDaily(ctx, "2026-11-26")
	if err != nil || run.Status != "ok" || run.Users != 3 || run.Picks != 12 {
		t.Fatalf("run = %+v, %v", run, err)
	}
	alice := picks(t, w.st, "alice", "2026-11-26")
	if len(alice) != 5 {
		t.Fatalf("alice got %d picks, want 5", len(alice))
	}
	for i, p := range alice {
		if p.Kind != paperpicks.PickPersonal || p.Rank != i+1 || (i > 0 && p.Score > alice[i-1].Score) {
			t.Errorf("alice pick %d = %+v", i, p)
		}
		for _, l := range liked {
			if p.PaperID == l {
				t.Errorf("alice was picked %s, which she liked", l)
			}
		}
		if p.Reason != liked[0] && p.Reason != liked[1] && p.Reason != liked[2] {
			t.Errorf("pick %s explained by %q, not one of her likes", p.PaperID, p.Reason)
		}
	}
	// The personal ranking is the profile's nearest candidates.
	sp := w.cat.Space()
	mean := make([]float32, sp.Index.Dim())
	for _, l := range liked {
		v, _ := sp.Vector(l)
		for j, x := range v {
			mean[j] += x / 3
		}
	}
	hits, _ := sp.Index.Nearest(ctx, embed.Normalize(mean), 8)
	var want []string
	for _, h := range hits {
		if h.ID != liked[0] && h.ID != liked[1] && h.ID != liked[2] && len(want) < 5 {
			want = append(want, h.ID)
		}
	}
	for i := range want {
		if alice[i].PaperID != want[i] {
			t.Errorf("alice's pick %d is %s, the profile's nearest unseen paper is %s", i+1, alice[i].PaperID, want[i])
		}
	}

	bob := picks(t, w.st, "bob", "2026-11-26")
	if len(bob) != 4 || bob[0].Kind != paperpicks.PickTrending {
		t.Fatalf("bob = %s, want trending first", ids(bob))
	}
	trending := map[string]bool{liked[0]: true, liked[1]: true, liked[2]: true, w.papers[10]: true}
	for _, p := range bob {
		if p.Kind == paperpicks.PickTrending && !trending[p.PaperID] {
			t.Errorf("bob's trending pick %s was liked by nobody", p.PaperID)
		}
	}

	// A rerun gives the same picks and duplicates nothing.
	again, err := w.ranker.RunDaily(ctx, "2026-11-26")
	if err != nil || again.Picks != 12 {
		t.Fatalf("rerun = %+v, %v", again, err)
	}
	if got := picks(t, w.st, "alice", "2026-11-26"); ids(got) != ids(alice) {
		t.Errorf("rerun changed alice's picks:\n%s\n%s", ids(got), ids(alice))
	}
	// Delivered picks are not changed by a rerun, even after new likes.
	w.st.MarkDelivered(ctx, "alice", "2026-11-26", w.clock.Now())
	w.profiles.Feedback(ctx, "alice", w.papers[50], paperpicks.VoteUp)
	w.ranker.RunDaily(ctx, "2026-11-26")
	if got := picks(t, w.st, "alice", "2026-11-26"); ids(got) != ids(alice) {
		t.Errorf("a rerun changed delivered picks")
	}

	// The next day has no new papers: picks are filled from recent unseen
	// ones and nothing picked before comes back.
	w.clock.Set(w.clock.Now().Add(48 * time.Hour))
	if _, err := w.ranker.RunDaily(ctx, "2026-11-28"); err != nil {
		t.Fatal(err)
	}
	next := picks(t, w.st, "alice", "2026-11-28")
	before := map[string]bool{}
	for _, p := range alice {
		before[p.PaperID] = true
	}
	for _, p := range next {
		if p.Kind != paperpicks.PickFilled || before[p.PaperID] {
			t.Errorf("day-after pick %+v: want a filled, never-picked paper", p)
		}
	}
	if _, err := w.ranker.RunDaily(ctx, "28-11-2026"); paperpicks.ErrorField(err) != "date" {
		t.Errorf("bad date: %v", err)
	}
}

// failingSaves is a store whose disk refuses picks (say, it is full).
type failingSaves struct {
	store.Store
	fail bool
}

func (f *failingSaves) SavePicks(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error {
	if f.fail {
		return fmt.Errorf("disk full")
	}
	return f.Store.SavePicks(ctx, date, byUser)
}

func TestDailyRunFailureIsRecorded(t *testing.T) {
	st := &failingSaves{Store: openSQLite(t), fail: true}
	w := newWorld(t, st, rank.DailyConfig{})
	w.user(t, "alice", 5, w.papers[0])
	run, err := w.ranker.RunDaily(context.Background(), "2026-11-26")
	if err == nil || run == nil || run.Status != "failed" || run.Error == "" {
		t.Fatalf("run = %+v, %v; want a failed record", run, err)
	}
	got, _ := st.GetRun(context.Background(), "2026-11-26")
	if got.Status != "failed" || got.Error == "" {
		t.Errorf("stored run = %+v", got)
	}
	st.fail = false
	if run, err := w.ranker.RunDaily(context.Background(), "2026-11-26"); err != nil || run.Status != "ok" {
		t.Errorf("retry = %+v, %v", run, err)
	}
}

func TestFeedbackDuringRun(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, openSQLite(t), rank.DailyConfig{Diversity: 0.3})
	for i := 0; i < 30; i++ {
		w.user(t, fmt.Sprintf("u%02d", i), 5, w.papers[i], w.papers[i+1])
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	wg.Go(func() {
		for r := 0; r < 3; r++ {
			if _, err := w.ranker.RunDaily(ctx, "2026-11-26"); err != nil {
				errs <- err
			}
		}
	})
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 25; i++ {
				if _, err := w.profiles.Feedback(ctx, fmt.Sprintf("u%02d", (g*7+i)%30), w.papers[60+i], paperpicks.VoteUp); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every vote is durable and every user has exactly k distinct picks.
	for i := 0; i < 30; i++ {
		uid := fmt.Sprintf("u%02d", i)
		ps := picks(t, w.st, uid, "2026-11-26")
		seen := map[string]bool{}
		for _, p := range ps {
			if seen[p.PaperID] {
				t.Errorf("%s was picked %s twice", uid, p.PaperID)
			}
			seen[p.PaperID] = true
		}
		if len(ps) != 5 {
			t.Errorf("%s has %d picks", uid, len(ps))
		}
	}
	total := 0
	for i := 0; i < 30; i++ {
		log, _ := w.st.FeedbackLog(ctx, fmt.Sprintf("u%02d", i))
		total += len(log)
	}
	if total != 60+100 {
		t.Errorf("feedback log has %d events, want 160", total)
	}
}

// Ranking users a block at a time gives every user the picks ranking them
// all at once gives, seen papers still excluded.
func TestDailyRunInBlocksEqualsAtOnce(t *testing.T) {
	ctx := context.Background()
	run := func(block int, down []string) map[string][]paperpicks.Pick {
		defer rank.SetRankBlock(block)()
		w := newWorld(t, openSQLite(t), rank.DailyConfig{})
		for i := range 7 {
			w.user(t, fmt.Sprintf("u%d", i), 4, w.papers[i*5], w.papers[i*5+3])
		}
		for _, p := range down {
			if _, err := w.profiles.Feedback(ctx, "u0", p, paperpicks.VoteDown); err != nil {
				t.Fatal(err)
			}
		}
		w.clock.Set(w.clock.Now().Add(time.Hour))
		if r, err := w.ranker.RunDaily(ctx, "2026-11-26"); err != nil || r.Picks != 28 {
			t.Fatalf("block %d: run = %+v, %v", block, r, err)
		}
		out := map[string][]paperpicks.Pick{}
		for i := range 7 {
			u := fmt.Sprintf("u%d", i)
			out[u] = picks(t, w.st, u, "2026-11-26")
			for _, p := range out[u] {
				if p.PaperID == w.papers[i*5] || p.PaperID == w.papers[i*5+3] {
					t.Errorf("block %d: %s was picked %s, which it liked", block, u, p.PaperID)
				}
			}
		}
		return out
	}
	// u0 votes down the two papers it would otherwise get first.
	first := run(4096, nil)["u0"]
	down := []string{first[0].PaperID, first[1].PaperID}
	whole, blocks := run(4096, down), run(3, down)
	for u, want := range whole {
		if ids(blocks[u]) != ids(want) {
			t.Errorf("%s: in blocks of 3 %s, at once %s", u, ids(blocks[u]), ids(want))
		}
	}
	for _, p := range blocks["u0"] {
		if p.PaperID == down[0] || p.PaperID == down[1] {
			t.Errorf("in blocks: u0 was picked %s, which it voted down", p.PaperID)
		}
	}
}
