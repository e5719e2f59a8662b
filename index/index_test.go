package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
)

func randomEntries(n, dim int, seed uint64) []Entry {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Entry, n)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = Entry{ID: fmt.Sprintf("p%06d", i), AddedAt: t0.Add(time.Duration(i) * time.Minute), Vector: embed.Normalize(v)}
	}
	return out
}

// mustIndex builds an exact index (no inverted file), whose answers must
// equal chromem-go's exhaustive query.
func mustIndex(t testing.TB, entries []Entry, dim int) *Index {
	t.Helper()
	ix := NewWithOptions("test-space", dim, Options{IVFMin: -1})
	if err := ix.Upsert(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestSimilarMatchesChromemReference(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 2, 119, 5000, 20000} { // 20000 takes the parallel path
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			entries := randomEntries(n, 32, uint64(n))
			ix := mustIndex(t, entries, 32)
			for _, q := range []int{0, n / 2, n - 1} {
				id := entries[q].ID
				got, err := ix.Similar(ctx, id, 10)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ix.ReferenceNearest(ctx, entries[q].Vector, 10, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != min(10, n-1) || len(got) != len(want) {
					t.Fatalf("Similar(%s) gave %d hits, chromem %d, want %d", id, len(got), len(want), min(10, n-1))
				}
				for i := range got {
					if got[i].ID != want[i].ID || abs(got[i].Score-want[i].Score) > 1e-5 {
						t.Errorf("hit %d: got %+v, chromem %+v", i, got[i], want[i])
					}
					if got[i].ID == id {
						t.Errorf("Similar(%s) returned the paper itself", id)
					}
				}
			}
		})
	}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestSimilarErrorsAndLimits(t *testing.T) {
	ctx := context.Background()
	ix := mustIndex(t, randomEntries(300, 8, 1), 8)
	if _, err := ix.Similar(ctx, "missing", 5); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("unknown id: %v, want not_found", err)
	}
	if _, err := ix.Similar(ctx, "p000001", 0); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("k=0: %v, want invalid", err)
	}
	hits, err := ix.Similar(ctx, "p000001", 1000)
	if err != nil || len(hits) != MaxK {
		t.Errorf("k=1000 gave %d hits (%v), want the cap %d", len(hits), err, MaxK)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Fatalf("hits not in descending order at %d", i)
		}
	}
	if _, err := ix.Nearest(ctx, make([]float32, 3), 5); paperpicks.ErrorCode(err) != paperpicks.EMISMATCH {
		t.Errorf("wrong dimension query: %v, want space_mismatch", err)
	}
	if err := ix.Upsert(ctx, []Entry{{ID: "x", Vector: []float32{1}}}); paperpicks.ErrorCode(err) != paperpicks.EMISMATCH {
		t.Errorf("wrong dimension entry: %v, want space_mismatch", err)
	}
}

func TestZeroVectorsAreNeverNeighbours(t *testing.T) {
	ctx := context.Background()
	ix := mustIndex(t, []Entry{
		{ID: "a", Vector: []float32{1, 0}},
		{ID: "b", Vector: []float32{0.6, 0.8}},
		{ID: "empty", Vector: []float32{0, 0}},
	}, 2)
	hits, _ := ix.Similar(ctx, "a", 5)
	if len(hits) != 1 || hits[0].ID != "b" {
		t.Errorf("Similar(a) = %v, want only b", hits)
	}
	if hits, _ := ix.Similar(ctx, "empty", 5); len(hits) != 0 {
		t.Errorf("Similar(empty) = %v, want none", hits)
	}
	// Replacing a vector moves the paper.
	ix.Upsert(ctx, []Entry{{ID: "empty", Vector: []float32{1, 0}}})
	hits, _ = ix.Similar(ctx, "a", 5)
	if len(hits) != 2 || hits[0].ID != "empty" || hits[0].Score < 0.999 {
		t.Errorf("after update Similar(a) = %v, want empty first", hits)
	}
	if ix.Len() != 3 {
		t.Errorf("Len = %d, want 3 (an update is not an insert)", ix.Len())
	}
}

func TestSinceAndRecent(t *testing.T) {
	entries := randomEntries(10, 4, 3) // added one minute apart
	ix := mustIndex(t, entries, 4)
	from, until := entries[3].AddedAt, entries[6].AddedAt
	ids, m := ix.Since(from, until)
	if fmt.Sprint(ids) != "[p000003 p000004 p000005]" || m.Rows != 3 || m.Row(1)[0] != entries[4].Vector[0] {
		t.Errorf("Since = %v rows %d", ids, m.Rows)
	}
	got := ix.Recent(3, entries[9].AddedAt, func(id string) bool { return id == "p000007" })
	if fmt.Sprint(got) != "[p000008 p000006 p000005]" {
		t.Errorf("Recent = %v", got)
	}
}

func BenchmarkSimilar(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		entries := randomEntries(n, 512, 9)
		ix := mustIndex(b, entries, 512)
		ctx := context.Background()
		b.Run(fmt.Sprintf("index/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := ix.Similar(ctx, entries[i%n].ID, 10); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("chromem/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := ix.ReferenceNearest(ctx, entries[i%n].Vector, 10, entries[i%n].ID); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
