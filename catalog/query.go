package catalog

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/index"
	"github.com/paperpicks/paperpicks/ingest"
)

// Result is a paper with its similarity to a query.
type Result struct {
	*paperpicks.Paper
	Score float32 `json:"score"`
}

// MaxQuery bounds a search text.
const MaxQuery = 1000

// CanonicalID turns any accepted spelling of a paper id (arXiv URL,
// "arXiv:" prefix, version suffix) into the stored one.
func CanonicalID(id string) string {
	canon, _ := ingest.NormalizeID(id)
	return canon
}

// Get returns a paper by id.
func (c *Catalog) Get(ctx context.Context, id string) (*paperpicks.Paper, error) {
	id = CanonicalID(id)
	if p, ok := c.papers.Get(id); ok {
		return p, nil
	}
	p, err := c.store.GetPaper(ctx, id)
	if err == nil {
		c.papers.Put(id, p)
	}
	return p, err
}

// Similar returns the k papers most like paper id ("more like this").
func (c *Catalog) Similar(ctx context.Context, id string, k int) ([]Result, error) {
	id = CanonicalID(id)
	sp := c.space.Load()
	if sp == nil {
		return nil, paperpicks.NotFound("paper", id)
	}
	hits, err := sp.Index.Similar(ctx, id, k)
	if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		if _, gerr := c.store.GetPaper(ctx, id); gerr == nil {
			return nil, paperpicks.Errorf(paperpicks.EMISMATCH, "paper %q has no vector in space %s; run `paperpicks reindex`", id, sp.Name())
		}
	}
	if err != nil {
		return nil, err
	}
	return c.results(ctx, hits)
}

// Search returns the k papers nearest to a free text.
func (c *Catalog) Search(ctx context.Context, q string, k int) ([]Result, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return nil, paperpicks.FieldErrorf("q", "search text q is empty")
	case utf8.RuneCountInString(q) > MaxQuery:
		return nil, paperpicks.FieldErrorf("q", "search text q is longer than %d characters", MaxQuery)
	case !utf8.ValidString(q):
		return nil, paperpicks.FieldErrorf("q", "search text q is not valid UTF-8")
	}
	sp := c.space.Load()
	if sp == nil {
		return []Result{}, nil
	}
	vecs, err := c.queryEmbedder(sp).Embed(ctx, []string{q})
	if err != nil {
		return nil, err
	}
	hits, err := sp.Index.Nearest(ctx, vecs[0], k)
	if err != nil {
		return nil, err
	}
	return c.results(ctx, hits)
}

// queryEmbedder caches query texts in memory: search boxes repeat, and a
// remote embedder charges per call.
func (c *Catalog) queryEmbedder(sp *Space) embed.Embedder {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.queryFor != sp.Name() {
		c.queryEmb = embed.Cached(sp.Embedder, embed.NewMemoryCache(10000))
		c.queryFor = sp.Name()
	}
	return c.queryEmb
}

func (c *Catalog) results(ctx context.Context, hits []index.Hit) ([]Result, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	papers, err := c.Papers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		if p := papers[h.ID]; p != nil {
			out = append(out, Result{Paper: p, Score: h.Score})
		}
	}
	return out, nil
}

// Papers returns the papers that exist among ids, keyed by id. The
// returned papers are shared: callers must not change them.
func (c *Catalog) Papers(ctx context.Context, ids []string) (map[string]*paperpicks.Paper, error) {
	out := make(map[string]*paperpicks.Paper, len(ids))
	var missing []string
	for _, id := range ids {
		if p, ok := c.papers.Get(id); ok {
			out[id] = p
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := c.store.GetPapers(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, p := range got {
		c.papers.Put(id, p)
		out[id] = p
	}
	return out, nil
}
