package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
)

// BenchmarkUpsertPapers measures catalog ingest: batches of new papers
// with 512-dimensional vectors, the local embedder's (fresh), and the
// same batches again with changed metadata and no vectors (update).
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
							out[i].Vector = make([]float32, 512)
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

// BenchmarkApplyFeedback measures durable feedback from 16 concurrent
// writers over 200 users, each event updating a 512-dimensional profile.
//
//	PAPERPICKS_TEST_POSTGRES_URL=... go test -run - -bench ApplyFeedback ./store/postgres
func BenchmarkApplyFeedback(b *testing.B) {
	s := open(b, pgtest.NewDatabase(b))
	ctx := context.Background()
	const users, papers, dim = 200, 1000, 512
	batch := make([]store.PaperVector, papers)
	for i := range batch {
		p := paperpicks.Paper{ID: fmt.Sprintf("2601.%05d", i), Title: "A title", Abstract: "An abstract."}
		batch[i] = store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text()), Vector: make([]float32, dim)}
	}
	if _, err := s.UpsertPapers(ctx, "sp", batch, time.Now()); err != nil {
		b.Fatal(err)
	}
	for u := range users {
		if err := s.CreateUser(ctx, &paperpicks.User{ID: fmt.Sprintf("u%03d", u), TimeZone: "UTC", PicksPerDay: 10, CreatedAt: time.Now()}, fmt.Sprintf("hash%03d", u)); err != nil {
			b.Fatal(err)
		}
	}
	update := func(prev *store.Vote, p *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		if p.UpSum == nil {
			p.UpSum, p.DownSum = make([]float32, dim), make([]float32, dim)
		}
		p.UpSum[0]++
		p.UpW++
		return nil
	}
	values := []paperpicks.Vote{paperpicks.VoteUp, paperpicks.VoteDown, paperpicks.VoteNone}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			f := paperpicks.Feedback{UserID: fmt.Sprintf("u%03d", i*7919%users), PaperID: fmt.Sprintf("2601.%05d", i%papers), Value: values[i%3], At: time.Now()}
			if _, err := s.ApplyFeedback(ctx, f, "sp", update); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
