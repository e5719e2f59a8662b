package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/index"
	"github.com/paperpicks/paperpicks/store"
)

// Progress receives how far a long job is: done of total units.
type Progress func(stage string, done, total int)

// NeedsRefit reports whether the local embedder has outgrown its fit: the
// catalog holds RefitFactor times the papers the fit saw.
func (c *Catalog) NeedsRefit(ctx context.Context) (bool, error) {
	sp := c.space.Load()
	if sp == nil || c.cfg.Embedder != localKind {
		return false, nil
	}
	n, err := c.store.CountPapers(ctx)
	if err != nil {
		return false, err
	}
	return float64(n) >= c.cfg.RefitFactor*float64(sp.fitDocs), nil
}

// RefitIfNeeded refits and switches when NeedsRefit says so; the current
// space keeps serving until the switch.
func (c *Catalog) RefitIfNeeded(ctx context.Context, progress Progress) (bool, error) {
	need, err := c.NeedsRefit(ctx)
	if err != nil || !need {
		return false, err
	}
	return true, c.Reindex(ctx, true, progress)
}

// Reindex re-embeds every paper into a target space and switches to it.
// With refit (local embedder only) the target is a new fit on the current
// catalog; otherwise it is the configured embedder's space, and only
// papers without a current vector there are embedded.
//
// The old space serves queries and ingests until the new one is complete;
// papers ingested meanwhile are caught up under the ingest lock just before
// the switch, which is one store transaction.
func (c *Catalog) Reindex(ctx context.Context, refit bool, progress Progress) error {
	c.refitMu.Lock()
	defer c.refitMu.Unlock()
	if progress == nil {
		progress = func(string, int, int) {}
	}
	var target *Space
	if cur := c.space.Load(); cur != nil {
		// A new Space value: the current one is read by queries meanwhile.
		target = &Space{Embedder: cur.Embedder, fitDocs: cur.fitDocs}
	} else if c.cfg.Embedder == localKind {
		refit = true
	}
	var saved *store.EmbedderState
	if refit {
		if c.cfg.Embedder != localKind {
			return paperpicks.Errorf(paperpicks.EINVALID, "only the local embedder is fitted; the %s embedder is reindexed without --refit", c.cfg.Embedder)
		}
		l, err := c.fit(ctx, progress)
		if err != nil {
			return err
		}
		state, err := l.MarshalBinary()
		if err != nil {
			return err
		}
		saved = &store.EmbedderState{Kind: localKind, Name: l.Name(), State: state, FitDocs: l.FitDocs(), CreatedAt: c.now().UTC()}
		if err := c.store.SaveEmbedder(ctx, saved, false); err != nil {
			return err
		}
		target = &Space{Embedder: c.observe(l), fitDocs: l.FitDocs()}
	}
	if target == nil {
		return paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog is empty: nothing to index")
	}

	c.mu.Lock()
	c.dirty = map[string]bool{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.dirty = nil
		c.mu.Unlock()
	}()

	total, err := c.store.CountPapers(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var page []*paperpicks.Paper
	done := 0
	embedPage := func() error {
		_, err := c.embedInto(ctx, target.Embedder, page)
		done += len(page)
		page = page[:0]
		progress("embed", done, total)
		return err
	}
	err = c.store.ScanPapers(ctx, func(p *paperpicks.Paper) error {
		page = append(page, p)
		if len(page) == c.cfg.BatchSize {
			return embedPage()
		}
		return nil
	})
	if err == nil {
		err = embedPage()
	}
	if err != nil {
		return err
	}
	idx, err := c.loadIndex(ctx, target.Embedder)
	if err != nil {
		return err
	}
	target.Index = idx

	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) > 0 { // ingested while we re-embedded
		ids := make([]string, 0, len(c.dirty))
		for id := range c.dirty {
			ids = append(ids, id)
		}
		papers, err := c.store.GetPapers(ctx, ids)
		if err != nil {
			return err
		}
		list := make([]*paperpicks.Paper, 0, len(papers))
		for _, p := range papers {
			list = append(list, p)
		}
		// Papers embedded before loadIndex read the store are indexed
		// already; embedInto returns the rest.
		entries, err := c.embedInto(ctx, target.Embedder, list)
		if err != nil {
			return err
		}
		if err := idx.Upsert(ctx, entries); err != nil {
			return err
		}
	}
	if saved != nil {
		if err := c.store.ActivateEmbedder(ctx, localKind, saved.Name); err != nil {
			return err
		}
	}
	c.space.Store(target)
	if err := c.store.DropVectorsExcept(ctx, target.Name()); err != nil {
		return err
	}
	c.log.Info("space switched", "space", target.Name(), "papers", idx.Len(), "took_ms", time.Since(start).Milliseconds())
	for _, fn := range c.onSwitch {
		if err := fn(ctx, target); err != nil {
			return fmt.Errorf("after switching to %s: %w", target.Name(), err)
		}
	}
	return nil
}

// embedInto stores vectors of emb's space for the papers that lack a
// current one there, and returns them as index entries.
func (c *Catalog) embedInto(ctx context.Context, emb embed.Embedder, papers []*paperpicks.Paper) ([]index.Entry, error) {
	if len(papers) == 0 {
		return nil, nil
	}
	ids := make([]string, len(papers))
	for i, p := range papers {
		ids[i] = p.ID
	}
	states, err := c.store.PaperStates(ctx, emb.Name(), ids)
	if err != nil {
		return nil, err
	}
	var texts []string
	var todo []store.IDVector
	var entries []index.Entry
	for _, p := range papers {
		text := p.Text()
		h := paperpicks.TextHash(text)
		if st := states[p.ID]; st.HasVector && st.TextHash == h {
			continue
		}
		texts = append(texts, text)
		todo = append(todo, store.IDVector{ID: p.ID, TextHash: h})
		entries = append(entries, index.Entry{ID: p.ID, AddedAt: p.AddedAt})
	}
	if len(texts) == 0 {
		return nil, nil
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d papers: %w", len(texts), err)
	}
	for i := range todo {
		todo[i].Vector = vecs[i]
		entries[i].Vector = vecs[i]
	}
	return entries, c.store.PutVectors(ctx, emb.Name(), todo)
}

// fit fits a new local embedder on an evenly spaced sample of the catalog.
func (c *Catalog) fit(ctx context.Context, progress Progress) (*embed.Local, error) {
	total, err := c.store.CountPapers(ctx)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog is empty: nothing to fit the local embedder on")
	}
	limit := max(c.cfg.Local.MaxFitDocs, 1)
	texts := make([]string, 0, min(total, limit))
	i := 0
	err = c.store.ScanPapers(ctx, func(p *paperpicks.Paper) error {
		// Take paper i when it crosses the next multiple of total/limit.
		if total <= limit || int64(i)*int64(limit)/int64(total) != int64(i+1)*int64(limit)/int64(total) {
			texts = append(texts, p.Text())
		}
		i++
		return nil
	})
	if err != nil {
		return nil, err
	}
	progress("fit", 0, 1)
	start := time.Now()
	l, err := embed.FitLocal(ctx, texts, c.cfg.Local)
	if err != nil {
		return nil, err
	}
	progress("fit", 1, 1)
	c.log.Info("local embedder fitted", "space", l.Name(), "papers", len(texts), "took_ms", time.Since(start).Milliseconds())
	return l, nil
}
