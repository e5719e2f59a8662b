package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks/embed"
)

// clustered makes n unit vectors around centers, as topical papers are.
func clustered(n, centers, dim int, seed uint64) []Entry {
	rng := rand.New(rand.NewPCG(seed, 5))
	cs := make([][]float32, centers)
	for i := range cs {
		cs[i] = make([]float32, dim)
		for j := range cs[i] {
			cs[i][j] = float32(rng.NormFloat64())
		}
	}
	out := make([]Entry, n)
	for i := range out {
		c := cs[rng.IntN(centers)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + 0.8*float32(rng.NormFloat64())
		}
		out[i] = Entry{ID: fmt.Sprintf("p%06d", i), AddedAt: time.Unix(int64(i), 0), Vector: embed.Normalize(v)}
	}
	return out
}

func recall(t *testing.T, ix *Index, entries []Entry, queries int) float64 {
	t.Helper()
	ctx := context.Background()
	hit, total := 0, 0
	for q := 0; q < queries; q++ {
		e := entries[q*7%len(entries)]
		got, err := ix.Similar(ctx, e.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ix.NearestExact(ctx, e.Vector, 10, e.ID)
		in := map[string]bool{}
		for _, h := range want {
			in[h.ID] = true
		}
		for _, h := range got {
			if in[h.ID] {
				hit++
			}
		}
		total += len(want)
	}
	return float64(hit) / float64(total)
}

func TestIVFRecallAndUpdates(t *testing.T) {
	entries := clustered(12000, 150, 64, 1)
	ix := NewWithOptions("s", 64, Options{IVFMin: 4000})
	ctx := context.Background()
	// Added in pieces, so the file is built, then grows and is rebuilt.
	for lo := 0; lo < len(entries); lo += 3000 {
		if err := ix.Upsert(ctx, entries[lo:lo+3000]); err != nil {
			t.Fatal(err)
		}
		ix.WaitIVF()
	}
	lists, _ := ix.IVFStatus()
	if lists != listsFor(12000) {
		t.Fatalf("lists = %d, want %d (built at 6000, rebuilt when the collection doubled to 12000)", lists, listsFor(12000))
	}
	if r := recall(t, ix, entries, 300); r < 0.9 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.9", r)
	}
	// Probing every list is exact.
	all := NewWithOptions("s", 64, Options{IVFMin: 4000, NProbe: 1 << 20})
	all.Upsert(ctx, entries)
	all.WaitIVF()
	if r := recall(t, all, entries, 100); r != 1 {
		t.Errorf("recall with every list probed = %.3f, want 1", r)
	}
	// A vector that moves is found at its new place.
	moved := entries[5]
	moved.Vector = entries[9000].Vector
	ix.Upsert(ctx, []Entry{moved})
	got, _ := ix.Similar(ctx, entries[9000].ID, 1)
	if len(got) != 1 || got[0].ID != moved.ID {
		t.Errorf("after moving %s next to %s: nearest is %v", moved.ID, entries[9000].ID, got)
	}
}

func BenchmarkSimilarIVF(b *testing.B) {
	entries := clustered(100000, 400, 512, 2)
	ix := NewWithOptions("s", 512, Options{})
	ix.Upsert(context.Background(), entries)
	ix.WaitIVF()
	lists, built := ix.IVFStatus()
	b.Logf("lists %d, built in %v", lists, built)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		ix.Similar(ctx, entries[i%len(entries)].ID, 10)
		i++
	}
}
