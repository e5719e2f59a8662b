// Package index keeps the catalog's vectors in memory for nearest-neighbour
// queries: "more like this", free-text search and the daily run's
// candidate sets. It is derived state, rebuilt from the store at start and
// kept current on every ingest.
//
// Documents live in a chromem-go collection (github.com/philippgille/chromem-go),
// whose Document.Embedding slices share memory with the index's own
// row-major chunks. Queries stream those chunks through an assembly dot
// product with a bounded heap per core: chromem-go's exhaustive query takes
// a lock per document and is several times slower (see README
// "Performance"), so it serves here as the reference that the fast path is
// tested and benchmarked against.
package index

import (
	"context"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/paperpicks/paperpicks"
	chromem "github.com/philippgille/chromem-go"
	"gonum.org/v1/gonum/blas/blas32"
)

// MaxK caps the results of one query.
const MaxK = 100

// chunkRows is how many vectors share one allocation; rows never move once
// written, so chromem-go's documents can point into them.
const chunkRows = 4096

// Entry is one paper's vector as the index stores it.
type Entry struct {
	ID      string
	AddedAt time.Time
	Vector  []float32
}

// Hit is one query result.
type Hit struct {
	ID    string  `json:"id"`
	Score float32 `json:"score"`
}

// Index is safe for concurrent use: queries share a read lock, writes take
// the write lock briefly.
type Index struct {
	space string
	dim   int

	opt Options

	mu     sync.RWMutex
	col    *chromem.Collection
	chunks [][]float32
	ids    []string
	added  []int64 // unix seconds, parallel to ids
	live   []bool  // false for zero vectors: no known words, never a neighbour
	pos    map[string]int

	ivf       *ivf           // nil: queries scan everything
	bulk      bool           // a bulk load runs: build the file after it
	building  bool           // an IVF build runs in the background
	dirtyRows map[int32]bool // rows written while it runs
	ivfBuilt  time.Duration
}

// New returns an empty index for vectors of space with dim dimensions.
func New(space string, dim int) *Index { return NewWithOptions(space, dim, Options{}) }

// NewWithOptions is New with the approximate search tuned.
func NewWithOptions(space string, dim int, opt Options) *Index {
	db := chromem.NewDB()
	col, err := db.CreateCollection("papers", map[string]string{"space": space}, noEmbedding)
	if err != nil { // only fails for an empty name
		panic(err)
	}
	return &Index{space: space, dim: dim, opt: opt, col: col, pos: map[string]int{}}
}

// IVFStatus says whether queries are approximate, over how many lists,
// and how long the last build took.
func (ix *Index) IVFStatus() (lists int, built time.Duration) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.ivf == nil {
		return 0, 0
	}
	return ix.ivf.centroids.Rows, ix.ivfBuilt
}

// WaitIVF blocks until no inverted-file build is running (tests and
// benchmarks that want to measure the steady state).
func (ix *Index) WaitIVF() {
	for {
		ix.mu.RLock()
		b := ix.building
		ix.mu.RUnlock()
		if !b {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noEmbedding refuses text queries: the index only ever receives vectors
// made by the catalog's embedder, never text to embed on its own.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, paperpicks.Errorf(paperpicks.EINTERNAL, "index: text must be embedded by the catalog's embedder")
}

// Space names the embedder whose vectors the index holds.
func (ix *Index) Space() string { return ix.space }

// Dim is the vector length.
func (ix *Index) Dim() int { return ix.dim }

// Len is the number of papers indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.ids)
}

// Upsert adds entries or replaces the vectors of papers already indexed.
func (ix *Index) Upsert(ctx context.Context, entries []Entry) error {
	for _, e := range entries {
		if len(e.Vector) != ix.dim {
			return paperpicks.Errorf(paperpicks.EMISMATCH, "vector of paper %q has %d dimensions, the index %q has %d", e.ID, len(e.Vector), ix.space, ix.dim)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, e := range entries {
		i, ok := ix.pos[e.ID]
		if !ok {
			i = len(ix.ids)
			if i%chunkRows == 0 {
				ix.chunks = append(ix.chunks, make([]float32, chunkRows*ix.dim))
			}
			ix.ids = append(ix.ids, e.ID)
			ix.added = append(ix.added, e.AddedAt.Unix())
			ix.live = append(ix.live, false)
			ix.pos[e.ID] = i
		}
		row := ix.row(i)
		copy(row, e.Vector)
		ix.live[i] = isUnit(row)
		ix.place(i)
		if ix.live[i] {
			doc := chromem.Document{ID: e.ID, Embedding: row}
			if err := ix.col.AddDocument(ctx, doc); err != nil {
				return paperpicks.WrapError(paperpicks.EINTERNAL, err, "index paper %q", e.ID)
			}
		} else if err := ix.col.Delete(ctx, nil, nil, e.ID); err != nil {
			return paperpicks.WrapError(paperpicks.EINTERNAL, err, "unindex paper %q", e.ID)
		}
	}
	ix.maybeBuildIVF()
	return nil
}

func isUnit(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Abs(s-1) < 1e-3
}

// row returns the storage of row i (caller holds the lock).
func (ix *Index) row(i int) []float32 {
	c := ix.chunks[i/chunkRows]
	o := (i % chunkRows) * ix.dim
	return c[o : o+ix.dim : o+ix.dim]
}

// Vector returns a copy of a paper's vector.
func (ix *Index) Vector(id string) ([]float32, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.pos[id]
	if !ok {
		return nil, false
	}
	return append([]float32(nil), ix.row(i)...), true
}

// AddedAt returns when an indexed paper arrived.
func (ix *Index) AddedAt(id string) (time.Time, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.pos[id]
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(ix.added[i], 0).UTC(), true
}

// Rows returns the row of each id that is indexed, for BestMatchRows: an
// int32 is a quarter of a string header, which matters for the millions
// of likes a daily run holds.
func (ix *Index) Rows(ids []string) []int32 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		if i, ok := ix.pos[id]; ok {
			out = append(out, int32(i))
		}
	}
	return out
}

// BestMatchRows is BestMatch over rows from Rows.
func (ix *Index) BestMatchRows(rows []int32, q []float32) (best string, score float32, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for _, r := range rows {
		i := int(r)
		if i >= len(ix.ids) || !ix.live[i] {
			continue
		}
		if s := blas32.Dot(blas32.Vector{N: ix.dim, Inc: 1, Data: ix.row(i)}, blas32.Vector{N: ix.dim, Inc: 1, Data: q}); !ok || s > score {
			best, score, ok = ix.ids[i], s, true
		}
	}
	return best, score, ok
}

// BestMatch returns which of ids has the largest dot product with q, for
// explaining a pick by the liked paper closest to it. ok is false when
// none of ids is indexed.
func (ix *Index) BestMatch(ids []string, q []float32) (best string, score float32, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for _, id := range ids {
		i, found := ix.pos[id]
		if !found || !ix.live[i] {
			continue
		}
		if s := blas32.Dot(blas32.Vector{N: ix.dim, Inc: 1, Data: ix.row(i)}, blas32.Vector{N: ix.dim, Inc: 1, Data: q}); !ok || s > score {
			best, score, ok = id, s, true
		}
	}
	return best, score, ok
}

// Mean returns the mean of the indexed vectors (zero vectors excluded).
func (ix *Index) Mean() []float32 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sum := make([]float64, ix.dim)
	n := 0
	for i := range ix.ids {
		if !ix.live[i] {
			continue
		}
		for j, x := range ix.row(i) {
			sum[j] += float64(x)
		}
		n++
	}
	out := make([]float32, ix.dim)
	for j := range sum {
		out[j] = float32(sum[j] / float64(max(n, 1)))
	}
	return out
}

// Has reports whether a paper is indexed.
func (ix *Index) Has(id string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.pos[id]
	return ok
}

func clampK(k int) (int, error) {
	if k < 1 {
		return 0, paperpicks.FieldErrorf("k", "k must be at least 1, got %d", k)
	}
	return min(k, MaxK), nil
}

// Similar returns the k papers nearest to paper id, excluding itself.
func (ix *Index) Similar(ctx context.Context, id string, k int) ([]Hit, error) {
	k, err := clampK(k)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.pos[id]
	if !ok {
		return nil, paperpicks.NotFound("paper", id)
	}
	if !ix.live[i] {
		return []Hit{}, nil
	}
	return ix.nearest(ctx, ix.row(i), k, i)
}

// Nearest returns the k papers nearest to vec, which must be a vector of
// the index's space (a zero vector has no neighbours).
func (ix *Index) Nearest(ctx context.Context, vec []float32, k int) ([]Hit, error) {
	k, err := clampK(k)
	if err != nil {
		return nil, err
	}
	if len(vec) != ix.dim {
		return nil, paperpicks.Errorf(paperpicks.EMISMATCH, "query vector has %d dimensions, the index %q has %d", len(vec), ix.space, ix.dim)
	}
	if !isUnit(vec) {
		return []Hit{}, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.nearest(ctx, vec, k, -1)
}

// parallelFrom is the collection size from which a query is split across
// the cores; below it the goroutine handoff costs more than it saves.
const parallelFrom = 16384

// NearestExact is Nearest by a full scan even when an inverted file
// exists: the truth that the approximate search's recall is measured by.
func (ix *Index) NearestExact(ctx context.Context, vec []float32, k int, exclude string) ([]Hit, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	self := -1
	if i, ok := ix.pos[exclude]; ok {
		self = i
	}
	return ix.scan(ctx, vec, k, self)
}

// nearest answers from the inverted file when there is one, else by a
// full scan (caller holds the read lock).
func (ix *Index) nearest(ctx context.Context, q []float32, k, self int) ([]Hit, error) {
	if ix.ivf == nil {
		return ix.scan(ctx, q, k, self)
	}
	h := ix.probe(q, k, self)
	return ix.hits(h, k), nil
}

func (ix *Index) hits(all []Scored, k int) []Hit {
	sort.Slice(all, func(a, b int) bool { return better(all[a], all[b]) })
	all = all[:min(k, len(all))]
	hits := make([]Hit, len(all))
	for i, s := range all {
		hits[i] = Hit{ID: ix.ids[s.Cand], Score: s.Score}
	}
	return hits
}

// scan scores every row, split over the cores for large collections.
func (ix *Index) scan(ctx context.Context, q []float32, k, self int) ([]Hit, error) {
	n := len(ix.ids)
	workers := 1
	if n >= parallelFrom {
		workers = runtime.GOMAXPROCS(0)
	}
	heaps := make([]minHeap, workers)
	var wg sync.WaitGroup
	per := (len(ix.chunks) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			scores := make([]float32, chunkRows)
			for c := w * per; c < min((w+1)*per, len(ix.chunks)); c++ {
				rows := min(chunkRows, n-c*chunkRows)
				scoreBlock(q, ix.chunks[c][:rows*ix.dim], ix.dim, scores[:rows])
				for j, s := range scores[:rows] {
					i := c*chunkRows + j
					if i == self || !ix.live[i] {
						continue
					}
					heaps[w].offer(Scored{Cand: i, Score: s}, k, false)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []Scored
	for w := range heaps {
		all = append(all, heaps[w]...)
	}
	return ix.hits(all, k), nil
}

// ReferenceNearest answers like Nearest through chromem-go's exhaustive
// query. It is the peer that tests and benchmarks compare the fast path to.
func (ix *Index) ReferenceNearest(ctx context.Context, vec []float32, k int, exclude string) ([]Hit, error) {
	n := ix.col.Count()
	if n == 0 {
		return []Hit{}, nil
	}
	want := min(k+1, n) // chromem-go refuses more results than documents
	res, err := ix.col.QueryEmbedding(ctx, vec, want, nil, nil)
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINTERNAL, err, "chromem query")
	}
	hits := make([]Hit, 0, k)
	for _, r := range res {
		if r.ID == exclude || len(hits) == k {
			continue
		}
		hits = append(hits, Hit{ID: r.ID, Score: r.Similarity})
	}
	return hits, nil
}

// Since returns the papers added at or after t and before until, with a
// contiguous copy of their vectors: the daily run's candidates.
func (ix *Index) Since(t, until time.Time) ([]string, Matrix) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	lo, hi := t.Unix(), until.Unix()
	var ids []string
	var data []float32
	for i, a := range ix.added {
		if a >= lo && a < hi && ix.live[i] {
			ids = append(ids, ix.ids[i])
			data = append(data, ix.row(i)...)
		}
	}
	return ids, Matrix{Rows: len(ids), Dim: ix.dim, Data: data}
}

// Recent returns up to n papers, newest first by arrival, skipping those
// skip says to; used to fill the daily picks when too few papers are new.
func (ix *Index) Recent(n int, before time.Time, skip func(id string) bool) []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	order := make([]int, 0, len(ix.ids))
	b := before.Unix()
	for i := range ix.ids {
		if ix.added[i] < b && ix.live[i] {
			order = append(order, i)
		}
	}
	sort.Slice(order, func(a, c int) bool {
		if ix.added[order[a]] != ix.added[order[c]] {
			return ix.added[order[a]] > ix.added[order[c]]
		}
		return ix.ids[order[a]] < ix.ids[order[c]]
	})
	var out []string
	for _, i := range order {
		if len(out) == n {
			break
		}
		if skip == nil || !skip(ix.ids[i]) {
			out = append(out, ix.ids[i])
		}
	}
	return out
}
