package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
)

// BenchmarkUpsertPapers measures catalog ingest: batches of new papers
// with 384-dimensional vectors (fresh), and the same batches again with
// changed metadata and no vectors (update).
//
//	PAPERPICKS_TEST_POSTGRES_URL=... go test -run - -bench Upsert -benchmem ./store/postgres
func BenchmarkUpsertPapers(b *testing.B) {
	for _, size := range []int{100, 1000} {
		for _, kind := range []string{"fresh", "update"} {
			b.Run(fmt.Sprintf("%s/batch=%d", kind, size), func(b *testing.B) {
				s := open(b, pgtest.NewDatabase(b))
				rng := rand.New(rand.NewPCG(7, uint64(size)))
				ctx := context.Background()
				batch := func(round int, vectors bool) []store.PaperVector {
					out := make([]store.PaperVector, size)
					for i := range out {
						p := paperpicks.Paper{ID: fmt.Sprintf("%06d.%05d", round, i), Title: "A title long enough to be typical",
							Abstract: fmt.Sprintf("%0300d", rng.Int64()), Authors: []string{"Ada Lovelace", "Alan Turing"},
							Published: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Categories: []string{"cs.LG"}, Upvotes: round}
						out[i] = store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text())}
						if vectors {
							out[i].Vector = make([]float32, 384)
							for j := range out[i].Vector {
								out[i].Vector[j] = rng.Float32()
							}
						}
					}
					return out
				}
				if kind == "update" {
					if _, err := s.UpsertPapers(ctx, "sp", batch(0, true), time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; b.Loop(); n++ {
					b.StopTimer()
					var in []store.PaperVector
					if kind == "fresh" {
						in = batch(n+1, true)
					} else {
						in = batch(0, false)
						for i := range in {
							in[i].Paper.Upvotes = n + 1
						}
					}
					b.StartTimer()
					if _, err := s.UpsertPapers(ctx, "sp", in, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "papers/s")
			})
		}
	}
}
