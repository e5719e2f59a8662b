package rank_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/rank"
)

func mustScheduler(t *testing.T, w *world, cfg rank.ScheduleConfig, fetch rank.Fetcher) *rank.Scheduler {
	t.Helper()
	if fetch == nil {
		fetch = func(context.Context, rank.Source) error { return nil }
	}
	s, err := rank.NewScheduler(cfg, w.ranker, fetch, quiet, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDueDateAcrossMidnightAndDST(t *testing.T) {
	w := newWorld(t, openSQLite(t), rank.DailyConfig{})
	tests := []struct {
		zone string
		at   string // UTC
		want string // "" = nothing due
	}{
		// Tokyo is UTC+9: 06:00 JST on the 27th is 21:00 UTC on the 26th.
		{"Asia/Tokyo", "2026-11-26T20:59:00Z", "2026-11-26"},
		{"Asia/Tokyo", "2026-11-26T21:00:00Z", "2026-11-27"},
		// Los Angeles is UTC-8 in November: 06:00 PST is 14:00 UTC.
		{"America/Los_Angeles", "2026-11-27T13:59:00Z", "2026-11-26"},
		{"America/Los_Angeles", "2026-11-27T14:00:00Z", "2026-11-27"},
		{"UTC", "2026-11-27T05:59:59Z", "2026-11-26"},
		{"UTC", "2026-11-27T06:00:00Z", "2026-11-27"},
		// Berlin springs forward on 2026-03-29: 06:00 is 05:00 UTC the day
		// before and 04:00 UTC from that day on.
		{"Europe/Berlin", "2026-03-28T04:59:00Z", "2026-03-27"},
		{"Europe/Berlin", "2026-03-28T05:00:00Z", "2026-03-28"},
		{"Europe/Berlin", "2026-03-29T03:59:00Z", "2026-03-28"},
		{"Europe/Berlin", "2026-03-29T04:00:00Z", "2026-03-29"},
		// and falls back on 2026-10-25: 06:00 CET is 05:00 UTC again.
		{"Europe/Berlin", "2026-10-25T04:30:00Z", "2026-10-24"},
		{"Europe/Berlin", "2026-10-25T05:00:00Z", "2026-10-25"},
		// New York changes on 2026-03-08.
		// New York changes on 2026-03-08: 06:00 EST was 11:00 UTC, 06:00
		// EDT is 10:00 UTC.
		{"America/New_York", "2026-03-07T10:59:00Z", "2026-03-06"},
		{"America/New_York", "2026-03-07T11:00:00Z", "2026-03-07"},
		{"America/New_York", "2026-03-08T09:59:00Z", "2026-03-07"},
		{"America/New_York", "2026-03-08T10:00:00Z", "2026-03-08"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.at, func(t *testing.T) {
			s := mustScheduler(t, w, rank.ScheduleConfig{Spec: "0 6 * * *", TimeZone: tt.zone}, nil)
			at, _ := time.Parse(time.RFC3339, tt.at)
			got, ok := s.DueDate(at)
			if !ok || got != tt.want {
				t.Errorf("DueDate = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestTickCatchesUpOnceAfterDowntimeAndRetriesFailures(t *testing.T) {
	ctx := context.Background()
	st := &failingSaves{Store: openSQLite(t)}
	w := newWorld(t, st, rank.DailyConfig{})
	w.user(t, "alice", 3, w.papers[0])
	s := mustScheduler(t, w, rank.ScheduleConfig{Spec: "0 6 * * *", TimeZone: "UTC", RetryAfter: 10 * time.Minute}, nil)
	var runs []string
	s.AfterRun(func(_ context.Context, date string) error { runs = append(runs, date); return nil })

	// Down from the 26th 12:00 to the 29th 09:00: the 27th, 28th and 29th
	// were missed; only the latest is run, once.
	w.clock.Set(time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC))
	for i := 0; i < 3; i++ {
		if err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(runs) != 1 || runs[0] != "2026-11-29" {
		t.Fatalf("runs after downtime = %v, want [2026-11-29] once", runs)
	}
	for _, d := range []string{"2026-11-27", "2026-11-28"} {
		if _, err := st.GetRun(ctx, d); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
			t.Errorf("missed date %s was run too", d)
		}
	}

	// The next scheduled time fails; it is retried after RetryAfter.
	st.fail = true
	w.clock.Set(time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC))
	if err := s.Tick(ctx); err == nil {
		t.Fatal("a failing run's tick returned no error")
	}
	st.fail = false
	w.clock.Set(w.clock.Now().Add(5 * time.Minute))
	s.Tick(ctx)
	if r, _ := st.GetRun(ctx, "2026-11-30"); r.Status != "failed" {
		t.Errorf("retried before RetryAfter: status %s", r.Status)
	}
	w.clock.Set(w.clock.Now().Add(6 * time.Minute))
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.GetRun(ctx, "2026-11-30"); r.Status != "ok" {
		t.Errorf("after RetryAfter: status %s, want ok", r.Status)
	}
}

func TestSourcesFetchedOnScheduleAndBeforeRun(t *testing.T) {
	ctx := context.Background()
	atom, err := os.ReadFile("../testdata/arxiv-api.atom")
	if err != nil {
		t.Fatal(err)
	}
	var slowHits, atomHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/query":
			atomHits.Add(1)
			rw.Header().Set("Content-Type", "application/atom+xml")
			rw.Write(atom)
		case "/broken":
			http.Error(rw, "upstream down", http.StatusBadGateway)
		case "/slow":
			slowHits.Add(1)
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()

	w := newWorld(t, openSQLite(t), rank.DailyConfig{})
	w.user(t, "alice", 3, w.papers[0])
	opt := ingest.FetchOptions{Timeout: 300 * time.Millisecond, Retries: -1}
	fetch := func(ctx context.Context, src rank.Source) error {
		f, err := ingest.ParseFormat(src.Format)
		if err != nil {
			return err
		}
		_, err = w.cat.IngestSource(ctx, src.URL, f, opt, nil)
		return err
	}
	cfg := rank.ScheduleConfig{Spec: "0 6 * * *", TimeZone: "UTC", Sources: []rank.Source{
		{URL: srv.URL + "/api/query?search_query=cat:cs.LG", Format: "arxiv-atom", Schedule: "0 * * * *"},
		{URL: srv.URL + "/broken", Schedule: "0 * * * *"},
		{URL: srv.URL + "/slow"},
	}}
	s := mustScheduler(t, w, cfg, fetch)
	before := w.cat.Len()
	if err := s.Tick(ctx); err != nil { // the 26th's run, caught up at noon
		t.Fatal(err)
	}
	if w.cat.Len() <= before || atomHits.Load() == 0 {
		t.Fatalf("the atom source was not ingested before the run: %d papers before, %d after", before, w.cat.Len())
	}
	slowHits.Store(0)
	atomHits.Store(0)

	// 05:30: before the daily time; the hourly sources are due, /slow not.
	w.clock.Set(time.Date(2026, 11, 27, 5, 30, 0, 0, time.UTC))
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if atomHits.Load() != 1 {
		t.Errorf("the hourly source was fetched %d times at 05:30, want once", atomHits.Load())
	}
	if slowHits.Load() != 0 {
		t.Error("a source without its own schedule was fetched outside the daily run")
	}
	// 06:00: the daily run fetches every source first; the broken and the
	// slow one fail without stopping the run.
	w.clock.Set(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC))
	start := time.Now()
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if slowHits.Load() != 1 || time.Since(start) > 4*time.Second {
		t.Errorf("slow source: %d hits, tick took %v (the fetch timeout is 300ms)", slowHits.Load(), time.Since(start))
	}
	if r, err := w.st.GetRun(ctx, "2026-11-27"); err != nil || r.Status != "ok" {
		t.Errorf("daily run after sources = %+v, %v", r, err)
	}
}

func TestStartAndStop(t *testing.T) {
	w := newWorld(t, openSQLite(t), rank.DailyConfig{})
	w.user(t, "alice", 3, w.papers[0])
	w.clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC))
	s := mustScheduler(t, w, rank.ScheduleConfig{Spec: "0 6 * * *", TimeZone: "UTC"}, nil)
	s.Start(context.Background())
	s.Stop(context.Background()) // lets the catch-up tick finish
	if r, err := w.st.GetRun(context.Background(), "2026-11-27"); err != nil || r.Status != "ok" {
		t.Errorf("catch-up at start: %+v, %v", r, err)
	}
	if _, err := rank.NewScheduler(rank.ScheduleConfig{Spec: "every day", TimeZone: "UTC"}, w.ranker, nil, quiet, nil); paperpicks.ErrorField(err) != "rank.schedule" {
		t.Errorf("bad spec: %v", err)
	}
	if _, err := rank.NewScheduler(rank.ScheduleConfig{Spec: "0 6 * * *", TimeZone: "Mars/Base"}, w.ranker, nil, quiet, nil); paperpicks.ErrorField(err) != "rank.time_zone" {
		t.Errorf("bad zone: %v", err)
	}
}
