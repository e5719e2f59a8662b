package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

// TestParityWithSQLite replays one seeded random sequence of catalog writes
// (repeated ids in a batch, nil vectors, zero and sub-microsecond times)
// on both backends and requires the same outcomes and the same stored data:
// the SQLite backend is the reference for every case the suite misses.
func TestParityWithSQLite(t *testing.T) {
	ctx := context.Background()
	pg := open(t, pgtest.NewDatabase(t))
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("2401.%05d", i)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	randTime := func() time.Time {
		switch rng.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return base.Add(time.Duration(rng.Int64N(1e15))) // nanoseconds
		default:
			return base.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
		}
	}
	randPaper := func() store.PaperVector {
		p := paperpicks.Paper{ID: ids[rng.IntN(len(ids))], Title: []string{"A", "B", "Ü ∂"}[rng.IntN(3)], Abstract: "abs",
			Published: randTime(), Upvotes: rng.IntN(2), Source: "s"}
		switch rng.IntN(3) {
		case 0:
			p.Authors = []string{}
		case 1:
			p.Authors = []string{"x", "y"}
		}
		pv := store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text())}
		if rng.IntN(2) == 0 {
			pv.Vector = []float32{rng.Float32(), float32(rng.IntN(9))}
		}
		return pv
	}
	spaces := []string{"s1", "s2"}

	for step := range 150 {
		space := spaces[rng.IntN(2)]
		switch op := rng.IntN(10); {
		case op < 7:
			batch := make([]store.PaperVector, 1+rng.IntN(12))
			for i := range batch {
				batch[i] = randPaper()
			}
			now := randTime()
			want, err1 := lite.UpsertPapers(ctx, space, batch, now)
			got, err2 := pg.UpsertPapers(ctx, space, batch, now)
			if err1 != nil || err2 != nil || !slices.Equal(got, want) {
				t.Fatalf("step %d: UpsertPapers = %v, %v; SQLite %v, %v", step, got, err2, want, err1)
			}
		case op < 9:
			// Only stored papers: a vector needs its paper.
			stored, _ := lite.GetPapers(ctx, ids)
			var vecs []store.IDVector
			for range 1 + rng.IntN(5) {
				if id := ids[rng.IntN(len(ids))]; stored[id] != nil {
					vecs = append(vecs, store.IDVector{ID: id, TextHash: "h" + id, Vector: []float32{float32(step)}})
				}
			}
			err1, err2 := lite.PutVectors(ctx, space, vecs), pg.PutVectors(ctx, space, vecs)
			if err1 != nil || err2 != nil {
				t.Fatalf("step %d: PutVectors: %v; SQLite %v", step, err2, err1)
			}
		default:
			err1, err2 := lite.DropVectorsExcept(ctx, space), pg.DropVectorsExcept(ctx, space)
			if err1 != nil || err2 != nil {
				t.Fatalf("step %d: DropVectorsExcept: %v; SQLite %v", step, err2, err1)
			}
		}
		if d := diffStores(ctx, lite, pg, ids, spaces); d != "" {
			t.Fatalf("step %d: stores differ: %s", step, d)
		}
	}
}

// diffStores describes the first difference in what a and b hold.
func diffStores(ctx context.Context, a, b store.Store, ids, spaces []string) string {
	dump := func(s store.Store) string {
		m, err := s.GetPapers(ctx, ids)
		if err != nil {
			return err.Error()
		}
		out := ""
		for _, id := range ids {
			if p := m[id]; p != nil {
				out += fmt.Sprintf("%s|%s|%s|%q|%q|%s|%q|%d|%s|%s|%s\n", p.ID, p.Title, p.Abstract, p.Authors, p.URL,
					p.Published.Format(time.RFC3339Nano), p.Categories, p.Upvotes, p.Source,
					p.AddedAt.Format(time.RFC3339Nano), p.UpdatedAt.Format(time.RFC3339Nano))
			}
		}
		for _, sp := range spaces {
			st, err := s.PaperStates(ctx, sp, ids)
			if err != nil {
				return err.Error()
			}
			for _, id := range ids {
				if x, ok := st[id]; ok {
					out += fmt.Sprintf("state %s %s %+v\n", sp, id, x)
				}
			}
			err = s.ScanVectors(ctx, sp, func(id string, added time.Time, vec []float32) error {
				out += fmt.Sprintf("vec %s %s %s %v\n", sp, id, added.Format(time.RFC3339Nano), vec)
				return nil
			})
			if err != nil {
				return err.Error()
			}
		}
		return out
	}
	da, db := dump(a), dump(b)
	if da == db {
		return ""
	}
	la, lb := strings.Split(da, "\n"), strings.Split(db, "\n")
	for i := range max(len(la), len(lb)) {
		x, y := "", ""
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("sqlite %q, postgres %q", x, y)
		}
	}
	return ""
}
