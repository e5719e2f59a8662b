package server

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/metrics"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/users"
)

// SampleDeps (tests only, here and in server_test) loads the sample
// catalog into st, embedded in dim dimensions, and returns what every
// route needs.
func SampleDeps(tb testing.TB, st store.Store, dim int, log *slog.Logger) Deps {
	tb.Helper()
	ctx := context.Background()
	cfg := catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()}
	cfg.Local.Dim = dim
	cat, err := catalog.Open(ctx, st, cfg, log, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := cat.IngestReader(ctx, bytes.NewReader(paperpicks.SampleCatalog), "", "sample"); err != nil {
		tb.Fatal(err)
	}
	vectors := func() rank.VectorSource {
		if sp := cat.Space(); sp != nil {
			return sp
		}
		return nil
	}
	return Deps{Catalog: cat, Users: users.New(st, nil), Profiles: rank.NewProfiles(st, vectors, 0, nil), Store: st,
		Ranker: rank.NewRanker(st, cat.Space, rank.DailyConfig{}, log, nil), Metrics: metrics.New(func() float64 { return float64(cat.Len()) })}
}
