package embed

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/paperpicks/paperpicks"
)

// Cache stores vectors keyed by embedder name (the space) and text hash
// (paperpicks.TextHash). The store package implements it as a table.
type Cache interface {
	// LoadEmbeddings returns the vectors it has for hashes in space; missing
	// hashes are absent from the map, which is not an error.
	LoadEmbeddings(ctx context.Context, space string, hashes []string) (map[string][]float32, error)
	// StoreEmbeddings saves vecs (hash → vector) in space, replacing any
	// vector stored before under the same hash.
	StoreEmbeddings(ctx context.Context, space string, vecs map[string][]float32) error
}

// Cached wraps e so texts whose hash (paperpicks.TextHash(text)) is in c are
// not embedded again; new vectors are stored in c under e.Name(). Identical
// texts in one call are embedded once. A cached vector whose length is not
// e.Dim() is ignored and re-embedded, so Embed never returns a vector of
// another space. Name and Dim are e's. Errors of c are returned, not skipped.
// The result is safe for concurrent use when e and c are.
func Cached(e Embedder, c Cache) Embedder { return &cachedEmbedder{e: e, c: c} }

type cachedEmbedder struct {
	e Embedder
	c Cache
}

func (ce *cachedEmbedder) Name() string { return ce.e.Name() }
func (ce *cachedEmbedder) Dim() int     { return ce.e.Dim() }

func (ce *cachedEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	space, dim := ce.e.Name(), ce.e.Dim()
	hashes := make([]string, len(texts))
	var uniq []string           // distinct hashes, first occurrence first
	text := map[string]string{} // hash → text
	for i, t := range texts {
		h := paperpicks.TextHash(t)
		hashes[i] = h
		if _, ok := text[h]; !ok {
			text[h] = t
			uniq = append(uniq, h)
		}
	}
	if len(uniq) == 0 {
		return [][]float32{}, nil
	}

	found, err := ce.c.LoadEmbeddings(ctx, space, uniq)
	if err != nil {
		return nil, fmt.Errorf("load cached embeddings of %s: %w", space, err)
	}
	vecs := make(map[string][]float32, len(uniq))
	var missHashes, missTexts []string
	for _, h := range uniq {
		if v, ok := found[h]; ok && len(v) == dim {
			vecs[h] = v
			continue
		}
		missHashes = append(missHashes, h)
		missTexts = append(missTexts, text[h])
	}

	if len(missTexts) > 0 {
		got, err := ce.e.Embed(ctx, missTexts)
		if err != nil {
			return nil, err
		}
		if len(got) != len(missTexts) {
			return nil, paperpicks.Errorf(paperpicks.EINTERNAL, "embedder %s returned %d vectors for %d texts", space, len(got), len(missTexts))
		}
		fresh := make(map[string][]float32, len(got))
		for j, v := range got {
			if len(v) != dim {
				return nil, paperpicks.Errorf(paperpicks.EMISMATCH, "embedder %s returned a %d-dimensional vector, want %d", space, len(v), dim)
			}
			fresh[missHashes[j]] = v
			vecs[missHashes[j]] = v
		}
		if err := ce.c.StoreEmbeddings(ctx, space, fresh); err != nil {
			return nil, fmt.Errorf("store embeddings of %s: %w", space, err)
		}
	}

	out := make([][]float32, len(texts))
	given := make(map[string]bool, len(uniq))
	for i, h := range hashes {
		v := vecs[h]
		if given[h] {
			v = slices.Clone(v) // each position owns its vector
		}
		given[h] = true
		out[i] = v
	}
	return out, nil
}

// defaultMemoryCacheEntries is the bound of NewMemoryCache(0).
const defaultMemoryCacheEntries = 10_000

// MemoryCache is an in-process Cache holding at most a fixed number of
// vectors over all spaces, dropping the least recently used first. It copies
// vectors in and out, so callers may change what they pass or get. It is
// safe for concurrent use.
type MemoryCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *memoryEntry, most recently used first
	items map[memoryKey]*list.Element
}

type memoryKey struct{ space, hash string }

type memoryEntry struct {
	key memoryKey
	vec []float32
}

var _ Cache = (*MemoryCache)(nil)

// NewMemoryCache returns an empty cache of at most maxEntries vectors;
// maxEntries <= 0 means 10,000.
func NewMemoryCache(maxEntries int) *MemoryCache {
	if maxEntries <= 0 {
		maxEntries = defaultMemoryCacheEntries
	}
	return &MemoryCache{max: maxEntries, order: list.New(), items: map[memoryKey]*list.Element{}}
}

// LoadEmbeddings returns copies of the vectors it holds for hashes in space.
func (m *MemoryCache) LoadEmbeddings(_ context.Context, space string, hashes []string) (map[string][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]float32, len(hashes))
	for _, h := range hashes {
		if el, ok := m.items[memoryKey{space, h}]; ok {
			m.order.MoveToFront(el)
			out[h] = slices.Clone(el.Value.(*memoryEntry).vec)
		}
	}
	return out, nil
}

// StoreEmbeddings stores copies of vecs in space, evicting the least
// recently used vectors beyond the bound.
func (m *MemoryCache) StoreEmbeddings(_ context.Context, space string, vecs map[string][]float32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, v := range vecs {
		k := memoryKey{space, h}
		if el, ok := m.items[k]; ok {
			el.Value.(*memoryEntry).vec = slices.Clone(v)
			m.order.MoveToFront(el)
			continue
		}
		m.items[k] = m.order.PushFront(&memoryEntry{key: k, vec: slices.Clone(v)})
	}
	for m.order.Len() > m.max {
		el := m.order.Back()
		m.order.Remove(el)
		delete(m.items, el.Value.(*memoryEntry).key)
	}
	return nil
}

// Len is the number of vectors held.
func (m *MemoryCache) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// CheckSpace returns nil when vectors made in space got may be used where
// space want is expected (an index, a stored profile), and otherwise an
// EMISMATCH error telling the user to rebuild.
func CheckSpace(want, got string) error {
	if want == got {
		return nil
	}
	return paperpicks.Errorf(paperpicks.EMISMATCH,
		"vectors were made by embedder %q but the index uses %q; run `paperpicks reindex`", got, want)
}
