// Package catalog is the paper catalog as the rest of paperpicks sees it:
// ingest (parse, validate, dedupe, embed, store, index), lookups, "more like
// this" and search. It owns the current vector space, the pair of an
// embedder and the in-memory index of its vectors, and switches it
// atomically when the local embedder is refitted.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/index"
	"github.com/paperpicks/paperpicks/internal/lru"
	"github.com/paperpicks/paperpicks/store"
)

// Store is what the catalog needs from storage.
type Store interface {
	store.Catalog
	store.Embedders
}

// Config chooses and shapes the embedder.
type Config struct {
	// Embedder is "local" (offline, fitted on the catalog) or "openai".
	Embedder string
	Local    embed.LocalConfig
	OpenAI   embed.OpenAIConfig
	// RefitFactor: the local embedder is refitted once the catalog holds
	// this many times the papers its fit saw (default 2).
	RefitFactor float64
	// FirstFit bounds the first fit of an empty catalog (0: 10,000
	// papers): a big first ingest waits seconds for it, not the minute a
	// fit on Local.MaxFitDocs takes; refits follow as the catalog grows.
	FirstFit int
	// BatchSize is how many papers are embedded and stored per transaction.
	BatchSize int
	// AllowUntitled accepts papers without a title (evaluation datasets
	// that ship only bags of words).
	AllowUntitled bool
	// Observe, when set, wraps every embedder the catalog uses (metrics).
	Observe func(embed.Embedder) embed.Embedder
	// PaperCache is how many papers are kept in memory for query results
	// (0: 200,000).
	PaperCache int
}

const localKind = "local"

// Space is one vector space: the embedder that makes its vectors and the
// index that holds them. It never changes; a refit makes a new Space.
type Space struct {
	Embedder embed.Embedder
	Index    *index.Index
	fitDocs  int // local only: papers the fit saw
}

// Name is the embedder's name, which identifies the space.
func (s *Space) Name() string { return s.Embedder.Name() }

// Vector returns a paper's vector in this space.
func (s *Space) Vector(id string) ([]float32, bool) { return s.Index.Vector(id) }

// Catalog is safe for concurrent use. Ingests and space switches are
// serialized; queries never wait for them.
type Catalog struct {
	store Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time

	space atomic.Pointer[Space] // nil until the local embedder is first fitted

	mu       sync.Mutex // held by ingest and by a space switch
	refitMu  sync.Mutex // one refit at a time
	dirty    map[string]bool
	onSwitch []func(context.Context, *Space) error
	qmu      sync.Mutex
	queryEmb embed.Embedder // the current embedder with a memory cache for query texts
	queryFor string

	// papers caches stored papers for query results: SQLite reads cost
	// more than the vector search they follow. Ingest invalidates what it
	// changes; the TTL bounds staleness when another instance changed it.
	papers *lru.Cache[string, *paperpicks.Paper]
}

// paperCacheTTL bounds how stale a cached paper can be when several
// instances share one database.
const paperCacheTTL = 5 * time.Minute

// Open loads the active embedder and rebuilds the index from the store.
func Open(ctx context.Context, st Store, cfg Config, log *slog.Logger, now func() time.Time) (*Catalog, error) {
	if cfg.FirstFit <= 0 {
		cfg.FirstFit = 10_000
	}
	if cfg.RefitFactor <= 1 {
		cfg.RefitFactor = 2
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.Embedder == "" {
		cfg.Embedder = localKind
	}
	if now == nil {
		now = time.Now
	}
	if cfg.PaperCache == 0 {
		cfg.PaperCache = 200_000
	}
	c := &Catalog{store: st, cfg: cfg, log: log, now: now, papers: lru.New[string, *paperpicks.Paper](max(cfg.PaperCache, 1), paperCacheTTL)}
	var sp *Space
	switch cfg.Embedder {
	case localKind:
		saved, err := st.ActiveEmbedder(ctx, localKind)
		if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
			break // fitted on the first ingest
		}
		if err != nil {
			return nil, err
		}
		l, err := embed.LoadLocal(saved.State)
		if err != nil {
			return nil, err
		}
		sp = &Space{Embedder: c.observe(l), fitDocs: saved.FitDocs}
	case "openai":
		o, err := embed.NewOpenAI(ctx, cfg.OpenAI)
		if err != nil {
			return nil, err
		}
		sp = &Space{Embedder: c.observe(embed.Cached(o, st))}
	default:
		return nil, paperpicks.FieldErrorf("embedder", "unknown embedder %q (want local or openai)", cfg.Embedder)
	}
	if sp != nil {
		start := time.Now()
		idx, err := c.loadIndex(ctx, sp.Embedder)
		if err != nil {
			return nil, err
		}
		sp.Index = idx
		c.space.Store(sp)
		n, err := st.CountPapers(ctx)
		if err != nil {
			return nil, err
		}
		log.Info("index loaded", "space", sp.Name(), "papers", idx.Len(), "took_ms", time.Since(start).Milliseconds())
		if missing := n - idx.Len(); missing > 0 {
			log.Warn("papers without a vector in the current space; run `paperpicks reindex`", "space", sp.Name(), "missing", missing)
		}
	}
	return c, nil
}

func (c *Catalog) observe(e embed.Embedder) embed.Embedder {
	if c.cfg.Observe != nil {
		return c.cfg.Observe(e)
	}
	return e
}

// loadIndex builds an index of every stored vector of emb's space.
func (c *Catalog) loadIndex(ctx context.Context, emb embed.Embedder) (*index.Index, error) {
	idx := index.New(emb.Name(), emb.Dim())
	batch := make([]index.Entry, 0, 1024)
	flush := func() error {
		err := idx.Upsert(ctx, batch)
		batch = batch[:0]
		return err
	}
	err := idx.Bulk(func() error {
		err := c.store.ScanVectors(ctx, emb.Name(), func(id string, added time.Time, vec []float32) error {
			batch = append(batch, index.Entry{ID: id, AddedAt: added, Vector: append([]float32(nil), vec...)})
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return nil, fmt.Errorf("load index: %w", err)
	}
	return idx, nil
}

// Space returns the current space, or nil before the first fit.
func (c *Catalog) Space() *Space { return c.space.Load() }

// OnSwitch registers fn to run after the space changes (before ingest
// resumes), so state derived from vectors, like profiles, is recomputed
// in the new space.
func (c *Catalog) OnSwitch(fn func(context.Context, *Space) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onSwitch = append(c.onSwitch, fn)
}

// AllowUntitled switches whether papers without a title are accepted.
func (c *Catalog) AllowUntitled(allow bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.AllowUntitled = allow
}

// Len is the number of indexed papers.
func (c *Catalog) Len() int {
	if sp := c.space.Load(); sp != nil {
		return sp.Index.Len()
	}
	return 0
}
