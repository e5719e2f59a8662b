package catalog

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/index"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/store"
)

// Summary is the outcome of one ingest run.
type Summary struct {
	Source    string `json:"source,omitempty"`
	Added     int    `json:"added"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Skipped   []Skip `json:"skipped"`
	// Embedded counts papers whose text was embedded in this run; re-ingested
	// papers with unchanged text are not.
	Embedded int `json:"embedded"`
}

// Skip is one record that was not ingested, and why.
type Skip struct {
	Pos    string `json:"pos"`
	Reason string `json:"reason"`
}

// Valid is the number of records that made it into the catalog.
func (s *Summary) Valid() int { return s.Added + s.Updated + s.Unchanged }

// Merge adds another run's counts to s.
func (s *Summary) Merge(o *Summary) {
	s.Added += o.Added
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Embedded += o.Embedded
	s.Skipped = append(s.Skipped, o.Skipped...)
}

// IngestReader parses r in format f (empty: detect) and ingests every valid
// record. A malformed record is skipped and reported; the error is only for
// an unreadable source, a storage failure, or ctx.
func (c *Catalog) IngestReader(ctx context.Context, r io.Reader, f ingest.Format, source string) (*Summary, error) {
	sum := &Summary{Source: source, Skipped: []Skip{}}
	b := &batcher{c: c, sum: sum, source: source}
	var opts []ingest.Option
	if c.cfg.AllowUntitled {
		opts = append(opts, ingest.AllowUntitled())
	}
	parse := func() error {
		err := ingest.Parse(ctx, r, f, func(it ingest.Item) error {
			if it.Problem != "" {
				sum.Skipped = append(sum.Skipped, Skip{Pos: it.Pos, Reason: it.Problem})
				return nil
			}
			return b.add(ctx, it.Paper)
		}, opts...)
		if err != nil {
			b.wait()
			return err
		}
		return b.finish(ctx)
	}
	// A long ingest retrains the index's inverted file once at its end, not
	// at every doubling on the way (new papers join their nearest lists
	// meanwhile).
	if sp := c.space.Load(); sp != nil {
		return sum, sp.Index.Bulk(parse)
	}
	return sum, parse()
}

// IngestPapers ingests papers that are already parsed (the HTTP API's JSON
// array). Each is cleaned and validated like a parsed record; pos names
// its place for the summary.
func (c *Catalog) IngestPapers(ctx context.Context, papers []paperpicks.Paper, source string) (*Summary, error) {
	sum := &Summary{Source: source, Skipped: []Skip{}}
	b := &batcher{c: c, sum: sum, source: source}
	for i := range papers {
		p := papers[i]
		if err := ingest.Clean(&p); err != nil {
			sum.Skipped = append(sum.Skipped, Skip{Pos: fmt.Sprintf("item %d", i+1), Reason: err.Error()})
			continue
		}
		if err := b.add(ctx, p); err != nil {
			b.wait()
			return sum, err
		}
	}
	return sum, b.finish(ctx)
}

// batcher groups papers for embedding and storing. A paper id seen twice
// in one batch flushes the batch first, so the later record updates the
// earlier one exactly as a second ingest would. Batches are pipelined: the
// next one is parsed and embedded while the previous one is written.
type batcher struct {
	c       *Catalog
	sum     *Summary
	source  string
	papers  []paperpicks.Paper
	ids     map[string]bool
	pending chan error // the write of the previous batch
}

func (b *batcher) add(ctx context.Context, p paperpicks.Paper) error {
	if b.ids[p.ID] {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	if b.ids == nil {
		b.ids = map[string]bool{}
	}
	if b.source != "" && p.Source == "" {
		p.Source = b.source
	}
	b.papers = append(b.papers, p)
	b.ids[p.ID] = true
	limit := b.c.cfg.BatchSize
	if b.c.space.Load() == nil {
		// The first fit sees the first papers of a big ingest, up to
		// FirstFit; the refit rule takes over as the catalog grows.
		limit = max(min(b.c.cfg.FirstFit, b.c.cfg.Local.MaxFitDocs), b.c.cfg.BatchSize)
	}
	if len(b.papers) >= limit {
		return b.flush(ctx)
	}
	return nil
}

// flush embeds the batch, waits for the previous batch's write, and starts
// this one's.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.papers) == 0 {
		return nil
	}
	prep, err := b.c.prepareBatch(ctx, b.papers)
	b.papers = nil
	clear(b.ids)
	if werr := b.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	b.pending = done
	go func() { done <- b.c.commitBatch(ctx, prep, b.sum) }()
	return nil
}

// wait returns the outcome of the write in flight, if any.
func (b *batcher) wait() error {
	if b.pending == nil {
		return nil
	}
	err := <-b.pending
	b.pending = nil
	return err
}

// finish flushes what is left and waits until it is written.
func (b *batcher) finish(ctx context.Context) error {
	err := b.flush(ctx)
	if werr := b.wait(); err == nil {
		err = werr
	}
	return err
}

// prepared is a batch embedded in a space, ready to be written.
type prepared struct {
	sp       *Space
	papers   []paperpicks.Paper
	batch    []store.PaperVector
	embedded int
}

// prepareBatch embeds the papers whose text is new or changed, in the
// current space (fitting the first local embedder if there is none).
func (c *Catalog) prepareBatch(ctx context.Context, papers []paperpicks.Paper) (*prepared, error) {
	sp := c.space.Load()
	if sp == nil {
		c.mu.Lock()
		var err error
		if sp = c.space.Load(); sp == nil {
			sp, err = c.bootstrap(ctx, papers)
		}
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(papers))
	for i := range papers {
		ids[i] = papers[i].ID
	}
	states, err := c.store.PaperStates(ctx, sp.Name(), ids)
	if err != nil {
		return nil, err
	}
	p := &prepared{sp: sp, papers: papers, batch: make([]store.PaperVector, len(papers))}
	var texts []string
	var toEmbed []int
	for i := range papers {
		text := papers[i].Text()
		p.batch[i] = store.PaperVector{Paper: papers[i], TextHash: paperpicks.TextHash(text)}
		if st, ok := states[papers[i].ID]; !ok || !st.HasVector || st.TextHash != p.batch[i].TextHash {
			texts = append(texts, text)
			toEmbed = append(toEmbed, i)
		}
	}
	if len(texts) > 0 {
		vecs, err := sp.Embedder.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("embed %d papers: %w", len(texts), err)
		}
		for j, i := range toEmbed {
			p.batch[i].Vector = vecs[j]
		}
	}
	p.embedded = len(toEmbed)
	return p, nil
}

// commitBatch writes a prepared batch in one transaction, then updates the
// index. A paper is never in the store without its vector. If the space
// switched since the batch was embedded, it is embedded again first.
func (c *Catalog) commitBatch(ctx context.Context, p *prepared, sum *Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sp := c.space.Load(); sp != p.sp {
		c.mu.Unlock()
		again, err := c.prepareBatch(ctx, p.papers)
		c.mu.Lock()
		if err != nil {
			return err
		}
		p = again
	}
	sp, batch := p.sp, p.batch
	now := c.now().UTC().Truncate(time.Microsecond)
	outcomes, err := c.store.UpsertPapers(ctx, sp.Name(), batch, now)
	if err != nil {
		return err
	}
	var entries []index.Entry
	for i, o := range outcomes {
		if o != store.Unchanged {
			c.papers.Remove(batch[i].Paper.ID)
		}
		switch o {
		case store.Added:
			sum.Added++
		case store.Updated:
			sum.Updated++
		case store.Unchanged:
			sum.Unchanged++
		}
		if batch[i].Vector != nil {
			added := now
			if o != store.Added {
				added = time.Time{} // keep the arrival time the index has
			}
			entries = append(entries, index.Entry{ID: batch[i].Paper.ID, AddedAt: added, Vector: batch[i].Vector})
			if c.dirty != nil {
				c.dirty[batch[i].Paper.ID] = true
			}
		}
	}
	sum.Embedded += p.embedded
	return c.indexEntries(ctx, sp, entries)
}

// indexEntries adds entries to the index, keeping the arrival time of
// papers it already holds (a zero AddedAt means "keep").
func (c *Catalog) indexEntries(ctx context.Context, sp *Space, entries []index.Entry) error {
	var missing []string
	for i := range entries {
		if entries[i].AddedAt.IsZero() {
			if t, ok := sp.Index.AddedAt(entries[i].ID); ok {
				entries[i].AddedAt = t
			} else {
				missing = append(missing, entries[i].ID)
			}
		}
	}
	if len(missing) > 0 {
		papers, err := c.store.GetPapers(ctx, missing)
		if err != nil {
			return err
		}
		for i := range entries {
			if p := papers[entries[i].ID]; entries[i].AddedAt.IsZero() && p != nil {
				entries[i].AddedAt = p.AddedAt
			}
		}
	}
	return sp.Index.Upsert(ctx, entries)
}

// bootstrap fits the first local embedder on the first papers ever
// ingested (the caller holds c.mu).
func (c *Catalog) bootstrap(ctx context.Context, papers []paperpicks.Paper) (*Space, error) {
	texts := make([]string, len(papers))
	for i := range papers {
		texts[i] = papers[i].Text()
	}
	start := time.Now()
	l, err := embed.FitLocal(ctx, texts, c.cfg.Local)
	if err != nil {
		return nil, err
	}
	fitted := time.Since(start)
	state, err := l.MarshalBinary()
	if err != nil {
		return nil, err
	}
	err = c.store.SaveEmbedder(ctx, &store.EmbedderState{Kind: localKind, Name: l.Name(), State: state, FitDocs: l.FitDocs(), CreatedAt: c.now().UTC()}, true)
	if err != nil {
		return nil, err
	}
	sp := &Space{Embedder: c.observe(l), Index: index.New(l.Name(), l.Dim()), fitDocs: l.FitDocs()}
	c.space.Store(sp)
	c.log.Info("local embedder fitted", "space", l.Name(), "papers", len(texts), "took_ms", time.Since(start).Milliseconds(), "fit_ms", fitted.Milliseconds(), "state_bytes", len(state))
	return sp, nil
}

// IngestSource opens a source (file, "-", or URL, fetched with opt's
// timeouts, retries and size limit), detects its format when f is empty,
// and ingests it. watch, when set, wraps the reader (progress display)
// given the source's size (-1 if unknown).
func (c *Catalog) IngestSource(ctx context.Context, source string, f ingest.Format, opt ingest.FetchOptions, watch func(r io.Reader, name string, size int64) io.Reader) (*Summary, error) {
	rc, name, size, err := ingest.Open(ctx, source, opt)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r io.Reader = rc
	if f == "" {
		br := bufio.NewReaderSize(rc, 64<<10)
		peek, _ := br.Peek(4096)
		if f, err = ingest.Detect(peek, name); err != nil {
			return nil, err
		}
		r = br
	}
	if watch != nil {
		r = watch(r, name, size)
	}
	src := string(f)
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		src = name // the URL, without credentials
	}
	c.log.Info("ingesting", "source", name, "format", f, "bytes", size)
	return c.IngestReader(ctx, r, f, src)
}
