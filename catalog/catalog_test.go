package catalog_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

func testConfig() catalog.Config {
	cfg := catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()}
	cfg.Local.Dim = 64 // the sample's 119 papers support no more components
	return cfg
}

type sqliteStore = sqlite.Store

func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	return mustOpen(t, filepath.Join(dir, "paperpicks.db"))
}

func mustOpen(t testing.TB, path string) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openCatalogB(b *testing.B, s *sqlite.Store) *catalog.Catalog {
	c, err := catalog.Open(context.Background(), s, catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func openCatalog(t *testing.T, s *sqlite.Store, cfg catalog.Config) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Open(context.Background(), s, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ingestSample(t *testing.T, c *catalog.Catalog) *catalog.Summary {
	t.Helper()
	sum, err := c.IngestReader(context.Background(), bytes.NewReader(paperpicks.SampleCatalog), "", "sample")
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestIngestSampleThenReingest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	c := openCatalog(t, s, testConfig())
	sum := ingestSample(t, c)
	if sum.Added != 119 || sum.Embedded != 119 || len(sum.Skipped) != 0 {
		t.Fatalf("first ingest = %+v, want 119 added and embedded", sum)
	}
	if c.Len() != 119 {
		t.Fatalf("index holds %d papers, want 119", c.Len())
	}
	sum = ingestSample(t, c)
	if sum.Unchanged != 119 || sum.Embedded != 0 {
		t.Errorf("re-ingest = %+v, want 119 unchanged and nothing embedded", sum)
	}

	// Changing only metadata updates without re-embedding; changing text re-embeds.
	first := firstSample(t)
	before, _ := c.Space().Index.Vector(first.ID)
	first.Authors = []string{"A. Reader"}
	sum, err := c.IngestPapers(ctx, []paperpicks.Paper{first}, "api")
	if err != nil || sum.Updated != 1 || sum.Embedded != 0 {
		t.Fatalf("metadata update = %+v, %v; want updated without embedding", sum, err)
	}
	first.Abstract = "Entirely different text about protein folding and molecular dynamics."
	sum, _ = c.IngestPapers(ctx, []paperpicks.Paper{first}, "api")
	after, _ := c.Space().Index.Vector(first.ID)
	if sum.Updated != 1 || sum.Embedded != 1 || equal(before, after) {
		t.Errorf("text update = %+v; vector changed: %v", sum, !equal(before, after))
	}
	if c.Len() != 119 {
		t.Errorf("after updates the index holds %d papers, want 119", c.Len())
	}

	// A restart loads the same fitted embedder and the same vectors.
	name := c.Space().Name()
	c2 := openCatalog(t, s, testConfig())
	if c2.Space().Name() != name || c2.Len() != 119 {
		t.Fatalf("after restart: space %s with %d papers, want %s with 119", c2.Space().Name(), c2.Len(), name)
	}
	v2, _ := c2.Space().Index.Vector(first.ID)
	if !equal(after, v2) {
		t.Error("a restart changed a paper's vector")
	}
	again, err := c2.Space().Embedder.Embed(ctx, []string{first.Text()})
	if err != nil || !close(again[0], after) {
		t.Error("the reloaded embedder embeds the same text differently")
	}
}

func firstSample(t *testing.T) paperpicks.Paper {
	t.Helper()
	var first paperpicks.Paper
	ingest.Parse(context.Background(), bytes.NewReader(paperpicks.SampleCatalog), ingest.FormatJSONL, func(it ingest.Item) error {
		if first.ID == "" {
			first = it.Paper
		}
		return nil
	})
	return first
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func close(a, b []float32) bool {
	for i := range a {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestBadRecordsAreSkippedWithReasons(t *testing.T) {
	c := openCatalog(t, openStore(t, t.TempDir()), testConfig())
	src := strings.Join([]string{
		`{"id": "2401.00001", "title": "Graph neural networks for molecules", "abstract": "We learn molecular graphs with message passing."}`,
		`{"id": "2401.00002", "title": "broken`,
		`{"id": "2401.00003", "title": "", "abstract": "no title"}`,
		`{"id": "2401.00004", "title": "Bell \u0007 in title", "abstract": "x"}`,
		`{"id": "arXiv:2401.00005v2", "title": "Transformers for protein structure", "abstract": "Attention models predict protein folds."}`,
	}, "\n")
	sum, err := c.IngestReader(context.Background(), strings.NewReader(src), ingest.FormatJSONL, "test")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 2 || len(sum.Skipped) != 3 {
		t.Fatalf("summary = %+v, want 2 added and 3 skipped", sum)
	}
	for i, want := range []string{"line 2", "line 3", "line 4"} {
		if sum.Skipped[i].Pos != want || sum.Skipped[i].Reason == "" {
			t.Errorf("skip %d = %+v, want at %s with a reason", i, sum.Skipped[i], want)
		}
	}
	if _, err := c.Get(context.Background(), "https://arxiv.org/abs/2401.00005v3"); err != nil {
		t.Errorf("paper by its URL: %v", err)
	}
}

func TestSimilarAndSearch(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t, openStore(t, t.TempDir()), testConfig())
	ingestSample(t, c)
	first := firstSample(t)
	res, err := c.Similar(ctx, first.ID, 5)
	if err != nil || len(res) != 5 {
		t.Fatalf("Similar = %d results, %v", len(res), err)
	}
	for i, r := range res {
		if r.ID == first.ID || r.Title == "" || (i > 0 && r.Score > res[i-1].Score) {
			t.Errorf("result %d = %s %q %.3f", i, r.ID, r.Title, r.Score)
		}
	}
	if _, err := c.Similar(ctx, "nope", 5); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("Similar(unknown) = %v, want not_found", err)
	}
	// Searching with a paper's own title finds it first.
	res, err = c.Search(ctx, first.Title, 3)
	if err != nil || len(res) == 0 || res[0].ID != first.ID {
		t.Errorf("Search(own title) = %+v, %v; want %s first", res, err, first.ID)
	}
	if _, err := c.Search(ctx, "  ", 3); paperpicks.ErrorField(err) != "q" {
		t.Errorf("empty search: %v, want an error naming q", err)
	}
}

func TestRefitSwitchesSpaceAndKeepsEveryPaper(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	c := openCatalog(t, s, testConfig())
	// Fit on a tiny first batch, then grow the catalog past twice that.
	small := bytes.Join(bytes.SplitAfter(paperpicks.SampleCatalog, []byte("\n"))[:20], nil)
	if _, err := c.IngestReader(ctx, bytes.NewReader(small), "", "first"); err != nil {
		t.Fatal(err)
	}
	old := c.Space().Name()
	ingestSample(t, c)
	need, err := c.NeedsRefit(ctx)
	if err != nil || !need {
		t.Fatalf("NeedsRefit = %v, %v after growing 20 → 119 papers", need, err)
	}
	switched := ""
	c.OnSwitch(func(_ context.Context, sp *catalog.Space) error { switched = sp.Name(); return nil })
	var stages []string
	did, err := c.RefitIfNeeded(ctx, func(stage string, done, total int) { stages = append(stages, stage) })
	if err != nil || !did {
		t.Fatalf("RefitIfNeeded = %v, %v", did, err)
	}
	sp := c.Space()
	if sp.Name() == old || switched != sp.Name() || sp.Index.Len() != 119 || len(stages) == 0 {
		t.Fatalf("after refit: space %s (old %s, hook saw %q), %d papers, progress %v", sp.Name(), old, switched, sp.Index.Len(), stages)
	}
	if need, _ := c.NeedsRefit(ctx); need {
		t.Error("still needs a refit right after one")
	}
	// The switch is durable: a restart comes up in the new space with every vector.
	c2 := openCatalog(t, s, testConfig())
	if c2.Space().Name() != sp.Name() || c2.Len() != 119 {
		t.Errorf("after restart: %s with %d papers, want %s with 119", c2.Space().Name(), c2.Len(), sp.Name())
	}
}

// A big first ingest into an empty catalog fits on its first FirstFit
// papers only, embeds every paper in that space, and leaves the refit rule
// to catch up.
func TestFirstFitIsBounded(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	cfg.Local.Dim = 16
	cfg.FirstFit, cfg.BatchSize = 30, 10
	c := openCatalog(t, openStore(t, t.TempDir()), cfg)
	sum := ingestSample(t, c)
	if sum.Added != 119 || c.Space().Index.Len() != 119 {
		t.Fatalf("added %d, indexed %d; want 119", sum.Added, c.Space().Index.Len())
	}
	if need, err := c.NeedsRefit(ctx); err != nil || !need {
		t.Errorf("NeedsRefit = %v, %v: the first fit saw more than its 30 papers", need, err)
	}
}
