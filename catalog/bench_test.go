package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/paperpicks/paperpicks/bench"
)

// BenchmarkIngest measures steady-state ingest (parse, validate, embed,
// store, index) with an already fitted local embedder.
func BenchmarkIngest(b *testing.B) {
	w := bench.Generate(6000, 0, 0, 1)
	fit, rest := bench.JSONL(w.Papers[:1000]), bench.JSONL(w.Papers[1000:])
	for b.Loop() {
		b.StopTimer()
		st := openStoreB(b)
		c := openCatalogB(b, st)
		if _, err := c.IngestReader(context.Background(), bytes.NewReader(fit), "jsonl", "fit"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := c.IngestReader(context.Background(), bytes.NewReader(rest), "jsonl", "bench")
		if err != nil || sum.Added != 5000 {
			b.Fatal(err, sum)
		}
	}
	b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "papers/s")
}

func openStoreB(b *testing.B) *sqliteStore {
	b.Helper()
	return mustOpen(b, fmt.Sprintf("%s/pp.db", b.TempDir()))
}
