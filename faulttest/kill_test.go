package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/users"
)

// TestKillDuringFeedback: users send thumbs concurrently; the service is
// killed (SIGKILL) mid-stream and restarted. Every answered (2xx) vote
// must be there, in the order given, the SQLite file must pass
// integrity_check, the index must rebuild, and the service must answer.
func TestKillDuringFeedback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		run(t, b, "ingest", samplePapers)
		svc := serve(t, b)
		ids := sampleIDs(t)

		const nUsers, killAfter = 12, 300
		type event struct{ paper, value string }
		type track struct {
			id, token string
			acked     []event
			inflight  *event // sent, no answer: may or may not be applied
		}
		tracks := make([]*track, nUsers)
		for i := range tracks {
			id, tok := svc.createUser(t)
			tracks[i] = &track{id: id, token: tok}
		}
		var acked atomic.Int64
		var wg sync.WaitGroup
		for i, tr := range tracks {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for {
					ev := event{ids[rng.IntN(len(ids))], []string{"up", "down", "none"}[rng.IntN(3)]}
					body := fmt.Sprintf(`{"paper_id":%q,"value":%q}`, ev.paper, ev.value)
					r := svc.call(t, "POST", "/v1/users/"+tr.id+"/feedback", tr.token, []byte(body))
					switch {
					case r.err != nil:
						tr.inflight = &ev
						return
					case r.status == 200:
						tr.acked = append(tr.acked, ev)
						acked.Add(1)
					default:
						t.Errorf("feedback answered %s", r)
						return
					}
				}
			})
		}
		for acked.Load() < killAfter {
			time.Sleep(time.Millisecond)
		}
		svc.kill()
		wg.Wait()
		t.Logf("killed after %d answered votes", acked.Load())
		b.integrity(t)

		svc = serve(t, b)
		if r := svc.must(t, 200, "GET", "/readyz", "", nil); r.body["papers"] != float64(len(ids)) {
			t.Errorf("after restart readyz = %s, want %d papers", r, len(ids))
		}
		st := b.open(t)
		for _, tr := range tracks {
			// The current votes: the last answered vote per paper, or
			// the unanswered one that came after it.
			want := map[string]string{}
			for _, ev := range tr.acked {
				want[ev.paper] = ev.value
			}
			got := map[string]string{}
			for _, v := range []string{"up", "down"} {
				r := svc.must(t, 200, "GET", "/v1/users/"+tr.id+"/likes?value="+v, tr.token, nil)
				for _, p := range r.body["papers"].([]any) {
					got[p.(map[string]any)["paper_id"].(string)] = v
				}
			}
			for _, id := range ids {
				w, g := want[id], got[id]
				if w == "" {
					w = "none"
				}
				if g == "" {
					g = "none"
				}
				if g != w && (tr.inflight == nil || tr.inflight.paper != id || tr.inflight.value != g) {
					t.Errorf("user %s paper %s: vote %s after the restart, but %s was answered last", tr.id, id, g, w)
				}
			}
			// The log holds every answered event in order, and at most
			// the unanswered one after them.
			log, err := st.FeedbackLog(context.Background(), tr.id)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(log); n != len(tr.acked) && (tr.inflight == nil || n != len(tr.acked)+1) {
				t.Errorf("user %s: %d events in the log, %d answered", tr.id, n, len(tr.acked))
				continue
			}
			for i, ev := range tr.acked {
				if log[i].PaperID != ev.paper || string(log[i].Value) != ev.value {
					t.Errorf("user %s event %d: log has %s %s, answered was %s %s", tr.id, i, log[i].PaperID, log[i].Value, ev.paper, ev.value)
					break
				}
			}
		}
		// The service answers.
		svc.must(t, 200, "POST", "/v1/users/"+tracks[0].id+"/feedback", tracks[0].token, []byte(`{"paper_id":"`+ids[0]+`","value":"up"}`))
		svc.must(t, 200, "GET", "/v1/papers/"+ids[0]+"/similar?k=3", "", nil)
		svc.stop()
	})
}

// TestKillDuringIngest: a bulk ingest of a few thousand papers is killed
// once some batches are stored. No paper may be without its vector, and
// the same ingest run again completes with every paper counted.
func TestKillDuringIngest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		// The sample catalog first fits the embedder, so the bulk ingest
		// goes in many transactions of 500 papers.
		run(t, b, "ingest", samplePapers)
		const n = 4000
		file := filepath.Join(t.TempDir(), "bulk.jsonl")
		if err := os.WriteFile(file, jsonl(t, synthetic(t, n, "bulk", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		st := b.open(t)
		base, err := st.CountPapers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := start(t, b, nil, "--json", "ingest", file)
		stored := 0
		for !p.exited() {
			if stored, err = st.CountPapers(ctx); err != nil {
				t.Fatal(err)
			}
			if stored > base {
				break
			}
			time.Sleep(3 * time.Millisecond)
		}
		p.kill()
		stored, _ = st.CountPapers(ctx)
		if stored-base == n {
			t.Logf("the ingest finished before the kill")
		} else {
			t.Logf("killed with %d of %d papers stored", stored-base, n)
		}
		b.integrity(t)
		if got := vectorsMatchPapers(t, b); got != stored {
			t.Fatalf("%d vectors for %d papers", got, stored)
		}

		var sum struct {
			Added, Updated, Unchanged int
			Skipped                   []any
		}
		out := run(t, b, "--json", "ingest", file)
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatalf("rerun summary %q: %v", out, err)
		}
		if sum.Added+sum.Updated+sum.Unchanged != n || len(sum.Skipped) != 0 || sum.Unchanged != stored-base || sum.Updated != 0 {
			t.Errorf("rerun: %+v, want %d unchanged and %d added", sum, stored-base, n-(stored-base))
		}
		if got := vectorsMatchPapers(t, b); got != base+n {
			t.Errorf("after the rerun: %d papers with vectors, want %d", got, base+n)
		}
		svc := serve(t, b)
		if r := svc.must(t, 200, "GET", "/readyz", "", nil); r.body["papers"] != float64(base+n) {
			t.Errorf("readyz = %s, want %d papers", r, base+n)
		}
		svc.must(t, 200, "GET", "/v1/papers/bulk-03999/similar?k=3", "", nil)
		svc.stop()
	})
}

// TestKillDuringRank: the daily run over a few thousand users is killed
// once its first batch of picks is stored. The run again completes the
// date: every user has a full, duplicate-free list, and the users whose
// picks were stored before the kill get the same ones.
func TestKillDuringRank(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		run(t, b, "ingest", samplePapers)
		st := b.open(t)
		const nUsers, date = 2500, "2026-03-01" // two transactions of picks (rank.saveBatch is 2000)
		ids := makeUsers(t, b, nUsers)
		sort.Strings(ids)

		p := start(t, b, nil, "rank", "--date", date)
		for !p.exited() {
			_, err := st.GetPicks(ctx, ids[0], date)
			if err == nil {
				break // the first transaction of picks is in
			}
			if !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Millisecond)
		}
		p.kill()
		// Picks of users of the first transaction, stored before the kill.
		sample := []string{ids[0], ids[999], ids[1999]}
		before := map[string][]paperpicks.Pick{}
		for _, id := range sample {
			if picks, err := st.GetPicks(ctx, id, date); err == nil {
				before[id] = picks
			}
		}
		rec, err := st.GetRun(ctx, date)
		if err != nil {
			t.Fatalf("no run record after the kill: %v", err)
		}
		_, lastErr := st.GetPicks(ctx, ids[len(ids)-1], date)
		t.Logf("killed with the run %s; picks of the first transaction stored: %v, of the last: %v", rec.Status, len(before) == len(sample), lastErr == nil)
		b.integrity(t)

		out := run(t, b, "--json", "rank", "--date", date)
		var runRec struct {
			Status string
			Users  int
		}
		if err := json.Unmarshal([]byte(out), &runRec); err != nil || runRec.Status != "ok" || runRec.Users != nUsers {
			t.Fatalf("rerun = %q, %v", out, err)
		}
		var res struct {
			Users     int
			WithPicks int `json:"with_picks"`
			Min, Max  int
			Bad       []string
		}
		b.check(t, &res, "picks", "STORE", date)
		if res.Users != nUsers || res.WithPicks != nUsers || res.Min != users.DefaultPicksPerDay || res.Max != users.DefaultPicksPerDay || len(res.Bad) > 0 {
			t.Errorf("picks for %s after the rerun: %+v; want all %d users with %d picks, none twice, ranked 1..k",
				date, res, nUsers, users.DefaultPicksPerDay)
		}
		// The rerun keeps the first run's cutoff, so it picks the same.
		for id, picks := range before {
			after, _ := st.GetPicks(ctx, id, date)
			if !slices.EqualFunc(picks, after, func(a, b paperpicks.Pick) bool { return a.PaperID == b.PaperID && a.Rank == b.Rank }) {
				t.Errorf("the rerun changed %s's stored picks:\n%v\n%v", id, picks, after)
			}
		}
	})
}

// makeUsers creates n users straight in the store, one in five with
// three likes, so the run ranks profiles as well as trending papers.
func makeUsers(t *testing.T, b *backend, n int) []string {
	t.Helper()
	var res struct{ IDs []string }
	b.check(t, &res, "users", "STORE", strconv.Itoa(n))
	if len(res.IDs) != n {
		t.Fatalf("storetool made %d users, want %d", len(res.IDs), n)
	}
	return res.IDs
}
