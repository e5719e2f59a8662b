// Package storetest is the contract every store backend passes. Backends
// call Run from their own tests with a function that opens an empty store.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// Opener returns a new, empty store; the test closes it.
type Opener func(t *testing.T) store.Store

// Run runs the whole contract against stores from open.
func Run(t *testing.T, open Opener) {
	t.Run("Papers", func(t *testing.T) { testPapers(t, open(t)) })
	t.Run("Vectors", func(t *testing.T) { testVectors(t, open(t)) })
	t.Run("Embedders", func(t *testing.T) { testEmbedders(t, open(t)) })
	t.Run("EmbeddingCache", func(t *testing.T) { testEmbeddingCache(t, open(t)) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("ImportUsers", func(t *testing.T) { testImportUsers(t, open(t)) })
	t.Run("Feedback", func(t *testing.T) { testFeedback(t, open(t)) })
	t.Run("ConcurrentFeedback", func(t *testing.T) { testConcurrentFeedback(t, open(t)) })
	t.Run("Picks", func(t *testing.T) { testPicks(t, open(t)) })
	t.Run("Delivery", func(t *testing.T) { testDelivery(t, open(t)) })
}

var t0 = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

func paper(id string) paperpicks.Paper {
	return paperpicks.Paper{
		ID: id, Title: "Title " + id, Abstract: "Abstract of " + id,
		Authors: []string{"Ada Lovelace", "Alan Turing"}, URL: "https://arxiv.org/abs/" + id,
		Published: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), Categories: []string{"cs.LG"}, Source: "jsonl",
	}
}

func pv(p paperpicks.Paper, vec ...float32) store.PaperVector {
	return store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text()), Vector: vec}
}

func mustUpsert(t *testing.T, s store.Store, space string, at time.Time, papers ...store.PaperVector) []store.Outcome {
	t.Helper()
	out, err := s.UpsertPapers(context.Background(), space, papers, at)
	if err != nil {
		t.Fatalf("UpsertPapers: %v", err)
	}
	return out
}

func testPapers(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	a, b := paper("2401.00001"), paper("2401.00002")
	got := mustUpsert(t, s, "sp", t0, pv(a, 1, 0), pv(b, 0, 1))
	if !slices.Equal(got, []store.Outcome{store.Added, store.Added}) {
		t.Fatalf("first upsert = %v, want added twice", got)
	}
	p, err := s.GetPaper(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != a.Title || !slices.Equal(p.Authors, a.Authors) || !p.Published.Equal(a.Published) || !p.AddedAt.Equal(t0) || p.URL != a.URL || !slices.Equal(p.Categories, a.Categories) {
		t.Errorf("GetPaper = %+v, want %+v added at %v", p, a, t0)
	}

	// Same content: unchanged, added_at kept.
	got = mustUpsert(t, s, "sp", t0.Add(time.Hour), pv(a))
	if got[0] != store.Unchanged {
		t.Errorf("re-upsert of same paper = %v, want unchanged", got[0])
	}
	// New metadata: updated, added_at kept, updated_at moves.
	a2 := a
	a2.Authors = []string{"Ada Lovelace"}
	got = mustUpsert(t, s, "sp", t0.Add(2*time.Hour), pv(a2))
	if got[0] != store.Updated {
		t.Errorf("upsert with new authors = %v, want updated", got[0])
	}
	p, _ = s.GetPaper(ctx, a.ID)
	if !p.AddedAt.Equal(t0) || !p.UpdatedAt.Equal(t0.Add(2*time.Hour)) || len(p.Authors) != 1 {
		t.Errorf("after update: added %v updated %v authors %v", p.AddedAt, p.UpdatedAt, p.Authors)
	}
	if n, _ := s.CountPapers(ctx); n != 2 {
		t.Errorf("CountPapers = %d, want 2", n)
	}

	_, err = s.GetPaper(ctx, "nope")
	if paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("GetPaper(missing) error = %v, want not_found", err)
	}
	m, err := s.GetPapers(ctx, []string{a.ID, "nope", b.ID})
	if err != nil || len(m) != 2 || m[b.ID] == nil {
		t.Errorf("GetPapers = %v, %v; want the two that exist", m, err)
	}

	var ids []string
	if err := s.ScanPapers(ctx, func(p *paperpicks.Paper) error { ids = append(ids, p.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{a.ID, b.ID}) {
		t.Errorf("ScanPapers ids = %v", ids)
	}

	// Unicode and old-style ids survive the round trip.
	u := paper("hep-th/9901001")
	u.Title = "Über Quanten – ∂ψ/∂t 量子"
	mustUpsert(t, s, "sp", t0, pv(u, 1, 1))
	p, err = s.GetPaper(ctx, u.ID)
	if err != nil || p.Title != u.Title {
		t.Errorf("unicode paper = %+v, %v", p, err)
	}
}

func testVectors(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	var batch []store.PaperVector
	for i := 0; i < 2500; i++ { // more than one scan page
		batch = append(batch, pv(paper(fmt.Sprintf("p%05d", i)), float32(i), -1, 0.5))
	}
	mustUpsert(t, s, "sp1", t0, batch...)
	n := 0
	err := s.ScanVectors(ctx, "sp1", func(id string, added time.Time, vec []float32) error {
		if id != fmt.Sprintf("p%05d", n) || vec[0] != float32(n) || vec[1] != -1 || !added.Equal(t0) {
			return fmt.Errorf("row %d: %s %v %v", n, id, vec, added)
		}
		n++
		return nil
	})
	if err != nil || n != 2500 {
		t.Fatalf("ScanVectors: %v after %d rows", err, n)
	}

	st, err := s.PaperStates(ctx, "sp1", []string{"p00001", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || !st["p00001"].HasVector || st["p00001"].TextHash != batch[1].TextHash {
		t.Errorf("PaperStates = %+v", st)
	}
	if st, _ := s.PaperStates(ctx, "sp2", []string{"p00001"}); st["p00001"].HasVector {
		t.Error("paper has a vector in a space it was never embedded in")
	}

	// A second space beside the first, then the first dropped.
	if err := s.PutVectors(ctx, "sp2", []store.IDVector{{ID: "p00001", TextHash: batch[1].TextHash, Vector: []float32{9, 9}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DropVectorsExcept(ctx, "sp2"); err != nil {
		t.Fatal(err)
	}
	count := func(space string) int {
		c := 0
		s.ScanVectors(ctx, space, func(string, time.Time, []float32) error { c++; return nil })
		return c
	}
	if c1, c2 := count("sp1"), count("sp2"); c1 != 0 || c2 != 1 {
		t.Errorf("after DropVectorsExcept: sp1 %d vectors, sp2 %d; want 0 and 1", c1, c2)
	}

	// A changed text with a new vector replaces the old vector.
	p := paper("p00001")
	p.Abstract = "changed"
	if got := mustUpsert(t, s, "sp2", t0, pv(p, 7, 7)); got[0] != store.Updated {
		t.Errorf("changed text = %v, want updated", got[0])
	}
	s.ScanVectors(ctx, "sp2", func(id string, _ time.Time, v []float32) error {
		if v[0] != 7 {
			t.Errorf("vector of %s = %v, want the new one", id, v)
		}
		return nil
	})
}

func testEmbedders(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	if _, err := s.ActiveEmbedder(ctx, "local"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Fatalf("ActiveEmbedder on empty store: %v, want not_found", err)
	}
	one := &store.EmbedderState{Kind: "local", Name: "local-1", State: []byte{1, 2, 3}, FitDocs: 119, CreatedAt: t0}
	if err := s.SaveEmbedder(ctx, one, true); err != nil {
		t.Fatal(err)
	}
	two := &store.EmbedderState{Kind: "local", Name: "local-2", State: []byte{4}, FitDocs: 300, CreatedAt: t0}
	if err := s.SaveEmbedder(ctx, two, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActiveEmbedder(ctx, "local")
	if err != nil || got.Name != "local-1" || !slices.Equal(got.State, one.State) || got.FitDocs != 119 {
		t.Fatalf("active = %+v, %v; want local-1 still active while local-2 is prepared", got, err)
	}
	if err := s.ActivateEmbedder(ctx, "local", "local-2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ActiveEmbedder(ctx, "local"); got.Name != "local-2" {
		t.Errorf("active after switch = %s, want local-2", got.Name)
	}
	if err := s.ActivateEmbedder(ctx, "local", "local-9"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("activating a missing state: %v, want not_found", err)
	}
	if got, _ := s.ActiveEmbedder(ctx, "local"); got == nil || got.Name != "local-2" {
		t.Errorf("a failed activation changed the active state to %+v", got)
	}
}

func testEmbeddingCache(t *testing.T, s store.Store) {
	ctx := context.Background()
	defer s.Close()
	if err := s.StoreEmbeddings(ctx, "openai/m/3", map[string][]float32{"h1": {1, 2, 3}, "h2": {4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadEmbeddings(ctx, "openai/m/3", []string{"h1", "h3"})
	if err != nil || len(got) != 1 || !slices.Equal(got["h1"], []float32{1, 2, 3}) {
		t.Errorf("LoadEmbeddings = %v, %v", got, err)
	}
	if got, _ := s.LoadEmbeddings(ctx, "other", []string{"h1"}); len(got) != 0 {
		t.Errorf("cache leaked across spaces: %v", got)
	}
}
