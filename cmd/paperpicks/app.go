package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/config"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/metrics"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

// app is the wired-up service: storage, catalog, logger.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	store    store.Store
	catalog  *catalog.Catalog
	users    *users.Service
	profiles *rank.Profiles
	ranker   *rank.Ranker
	metrics  *metrics.Metrics
	fresh    bool // the data directory did not exist or was empty before
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openApp opens the configured store and catalog.
func openApp(ctx context.Context, e *env) (*app, error) {
	cfg := e.cfg
	log := newLogger(cfg, e.stderr)
	fresh := dirIsEmpty(cfg.Data)
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot create data directory %s", cfg.Data)
	}
	strategy, err := rank.StrategyByName(cfg.Rank.Strategy)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, fresh: fresh, users: users.New(st, time.Now)}
	a.metrics = metrics.New(func() float64 { return float64(a.catalog.Len()) })
	ccfg := catalogConfig(cfg)
	ccfg.Observe = a.metrics.Embedder
	cat, err := catalog.Open(ctx, st, ccfg, log, time.Now)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.catalog = cat
	a.profiles = rank.NewProfiles(st, a.vectors, cfg.Rank.HalfLife, time.Now)
	a.ranker = rank.NewRanker(st, cat.Space, rank.DailyConfig{
		Window: cfg.Rank.Window, Strategy: strategy, Diversity: cfg.Rank.Diversity,
		TrendingDays: cfg.Rank.TrendingDays, TrendingHalfLife: cfg.Rank.TrendingHalfLife,
	}, log, time.Now)
	a.ranker.OnRun = func(r *store.Run, took time.Duration) { a.metrics.ObserveRun(r.Status, r.Picks, took) }
	// Profiles live in the vector space; a refit moves them to the new one.
	cat.OnSwitch(func(ctx context.Context, _ *catalog.Space) error { return a.profiles.RecomputeAll(ctx) })
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

// catalogUntitled is the catalog for evaluation datasets whose papers
// have no titles.
func (a *app) catalogUntitled() *catalog.Catalog {
	a.catalog.AllowUntitled(true)
	return a.catalog
}

// location is the time zone the daily run is dated in.
func (a *app) location() *time.Location {
	loc, err := time.LoadLocation(a.cfg.Rank.TimeZone)
	if err != nil {
		return time.UTC // Validate refused it already
	}
	return loc
}

// vectors is the current space as profiles see it (nil before any fit).
func (a *app) vectors() rank.VectorSource {
	if sp := a.catalog.Space(); sp != nil {
		return sp
	}
	return nil
}

func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.Store.Driver == "postgres" {
		return postgres.Open(ctx, cfg.Store.PostgresURL)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.Data, "paperpicks.db"), sqlite.Options{Synchronous: cfg.Store.Synchronous})
}

func catalogConfig(cfg *config.Config) catalog.Config {
	local := embed.DefaultLocalConfig()
	local.Dim = cfg.Embedder.Dim
	local.MaxVocab = cfg.Embedder.MaxVocab
	local.Bigrams = cfg.Embedder.Bigrams
	local.MaxFitDocs = cfg.Embedder.MaxFitDocs
	return catalog.Config{
		Embedder:    cfg.Embedder.Kind,
		Local:       local,
		RefitFactor: cfg.Embedder.RefitFactor,
		FirstFit:    cfg.Embedder.FirstFit,
		OpenAI: embed.OpenAIConfig{
			BaseURL: cfg.Embedder.OpenAIBaseURL, APIKey: cfg.Embedder.OpenAIKey, Model: cfg.Embedder.OpenAIModel,
			Dimensions: cfg.Embedder.OpenAIDimensions, BatchSize: cfg.Embedder.OpenAIBatch,
			Timeout: cfg.Embedder.OpenAITimeout, MaxRetries: cfg.Embedder.OpenAIRetries,
		},
	}
}

func dirIsEmpty(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err != nil || len(entries) == 0
}
