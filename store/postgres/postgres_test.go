package postgres_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/storetest"
)

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	pgtest.URL(t) // skip (or fail in CI) once, not per sub-test
	storetest.Run(t, func(t *testing.T) store.Store {
		t.Helper()
		s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Instances starting together must apply each migration exactly once.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), url)
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n, distinct int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n == 0 {
		t.Errorf("schema_migrations has %d rows for %d versions", n, distinct)
	}
}

// Two instances upserting the same papers at once: each paper is added
// exactly once, nothing deadlocks, and the last writer's data is stored.
func TestConcurrentUpserts(t *testing.T) {
	url := pgtest.NewDatabase(t)
	stores := []*postgres.Store{open(t, url), open(t, url)}
	const papers, rounds = 300, 5
	t0 := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	added := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			s := stores[w%2]
			for r := range rounds {
				batch := make([]store.PaperVector, papers)
				for i := range batch {
					// Workers walk the ids in opposite directions.
					j := i
					if w%2 == 1 {
						j = papers - 1 - i
					}
					p := paperpicks.Paper{ID: fmt.Sprintf("c%04d", j), Title: "T", Abstract: "A", Upvotes: r}
					batch[i] = store.PaperVector{Paper: p, TextHash: "h", Vector: []float32{float32(w), float32(r)}}
				}
				out, err := s.UpsertPapers(context.Background(), "sp", batch, t0.Add(time.Duration(r)*time.Minute))
				if err != nil {
					t.Errorf("worker %d round %d: %v", w, r, err)
					return
				}
				mu.Lock()
				for i, o := range out {
					if o == store.Added {
						added[batch[i].Paper.ID]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(added) != papers {
		t.Errorf("%d papers reported added, want %d", len(added), papers)
	}
	for id, n := range added {
		if n != 1 {
			t.Errorf("paper %s reported added %d times", id, n)
		}
	}
	p, err := stores[0].GetPaper(context.Background(), "c0000")
	if err != nil || !p.AddedAt.Equal(t0) || p.Upvotes != rounds-1 {
		t.Errorf("c0000 = %+v, %v", p, err)
	}
}

func TestZeroTimesRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.NewDatabase(t))
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	p := paperpicks.Paper{ID: "z1", Title: "t", Abstract: "a"}
	if _, err := s.UpsertPapers(ctx, "sp", []store.PaperVector{{Paper: p, TextHash: "h"}}, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPaper(ctx, "z1")
	if err != nil {
		t.Fatal(err)
	}
	want := time.UnixMicro(store.Micros(now)).UTC()
	if !got.Published.IsZero() || got.AddedAt != want || got.UpdatedAt != want || got.Authors != nil {
		t.Errorf("got published %v added %v updated %v authors %#v; want zero, %v (UTC, µs), nil", got.Published, got.AddedAt, got.UpdatedAt, got.Authors, want)
	}
	if err := s.SaveEmbedder(ctx, &store.EmbedderState{Kind: "k", Name: "n", State: []byte{}}, true); err != nil {
		t.Fatal(err)
	}
	if st, err := s.ActiveEmbedder(ctx, "k"); err != nil || !st.CreatedAt.IsZero() {
		t.Errorf("embedder = %+v, %v; want a zero CreatedAt", st, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := postgres.Open(ctx, "postgres://a:b@[::1"); paperpicks.ErrorCode(err) != paperpicks.EINVALID || paperpicks.ErrorField(err) != "store.postgres_url" {
		t.Errorf("bad URL: %v, want invalid store.postgres_url", err)
	}
	// A port nobody listens on: the database is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = postgres.Open(ctx, "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=2")
	if paperpicks.ErrorCode(err) != paperpicks.EUNAVAILABLE {
		t.Errorf("unreachable server: %v, want unavailable", err)
	}
}

func TestDeadlineIsUnavailable(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := s.GetPaper(ctx, "x")
	for err == nil || paperpicks.IsCode(err, paperpicks.ENOTFOUND) { // too fast: the query won the race
		_, err = s.GetPaper(ctx, "x")
	}
	if paperpicks.ErrorCode(err) != paperpicks.EUNAVAILABLE {
		t.Errorf("deadline: %v, want unavailable", err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("pool unusable after a timeout: %v", err)
	}
}

func TestEmptyInputs(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.NewDatabase(t))
	if out, err := s.UpsertPapers(ctx, "sp", nil, time.Now()); err != nil || out == nil || len(out) != 0 {
		t.Errorf("UpsertPapers(nil) = %#v, %v", out, err)
	}
	if m, err := s.GetPapers(ctx, nil); err != nil || len(m) != 0 {
		t.Errorf("GetPapers(nil) = %v, %v", m, err)
	}
	if m, err := s.PaperStates(ctx, "sp", nil); err != nil || len(m) != 0 {
		t.Errorf("PaperStates(nil) = %v, %v", m, err)
	}
	if err := s.PutVectors(ctx, "sp", nil); err != nil {
		t.Error(err)
	}
	if err := s.StoreEmbeddings(ctx, "sp", nil); err != nil {
		t.Error(err)
	}
	if m, err := s.LoadEmbeddings(ctx, "sp", nil); err != nil || len(m) != 0 {
		t.Errorf("LoadEmbeddings(nil) = %v, %v", m, err)
	}
	n := 0
	if err := s.ScanPapers(ctx, func(*paperpicks.Paper) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("ScanPapers on empty store: %d, %v", n, err)
	}
}
