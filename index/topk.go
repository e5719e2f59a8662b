package index

import (
	"container/heap"
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas32"
)

// Matrix is a block of vectors stored row after row in one slice, the
// layout the scoring kernel streams through.
type Matrix struct {
	Rows, Dim int
	Data      []float32
}

// NewMatrix copies vecs (all of length dim) into one contiguous block.
func NewMatrix(vecs [][]float32, dim int) Matrix {
	m := Matrix{Rows: len(vecs), Dim: dim, Data: make([]float32, len(vecs)*dim)}
	for i, v := range vecs {
		copy(m.Data[i*dim:(i+1)*dim], v)
	}
	return m
}

// Row returns row i, sharing memory with m.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// Scored is one candidate's score for one profile; Via is the index of the
// profile vector that gave the score.
type Scored struct {
	Cand  int
	Score float32
	Via   int
}

// candBlock is how many candidate rows are scored against a user before
// moving on: 256 rows of 512 float32 are 512 KiB, about one core's L2.
const candBlock = 256

// TopK scores every query against every candidate and returns, per query,
// its k best candidates by descending score (ties by lower index). A query
// is one or more vectors (queries[u]); a candidate's score is its largest
// dot product with them. skip, when not nil, hides candidates from a query
// (papers a user has seen). The work is split over the cores in blocks of
// queries; each dot product is gonum's assembly kernel over contiguous rows.
func TopK(ctx context.Context, queries [][][]float32, cands Matrix, k int, skip func(query, cand int) bool) ([][]Scored, error) {
	profiles := queries
	out := make([][]Scored, len(profiles))
	if k <= 0 || cands.Rows == 0 {
		return out, nil
	}
	var next atomic.Int64
	const usersPerTask = 32
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			scores := make([]float32, candBlock)
			for {
				lo := int(next.Add(usersPerTask)) - usersPerTask
				if lo >= len(profiles) || ctx.Err() != nil {
					return
				}
				hi := min(lo+usersPerTask, len(profiles))
				heaps := make([]minHeap, hi-lo)
				for c0 := 0; c0 < cands.Rows; c0 += candBlock {
					c1 := min(c0+candBlock, cands.Rows)
					block := cands.Data[c0*cands.Dim : c1*cands.Dim]
					for u := lo; u < hi; u++ {
						h := &heaps[u-lo]
						multi := len(profiles[u]) > 1
						for vi, pv := range profiles[u] {
							scoreBlock(pv, block, cands.Dim, scores[:c1-c0])
							for j, s := range scores[:c1-c0] {
								c := c0 + j
								if skip != nil && skip(u, c) {
									continue
								}
								h.offer(Scored{Cand: c, Score: s, Via: vi}, k, multi)
							}
						}
					}
				}
				for u := lo; u < hi; u++ {
					out[u] = heaps[u-lo].sorted()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// scoreBlock writes the dot product of p with each row of block. Where
// the CPU has AVX2 and FMA, four rows at a time go through our assembly
// kernel (about twice gonum's SSE dot); elsewhere, and for dimensions that
// are not a multiple of 16, through gonum's.
func scoreBlock(p, block []float32, dim int, scores []float32) {
	j := 0
	if hasDot4 && dim%16 == 0 && dim > 0 {
		for ; j+4 <= len(scores); j += 4 {
			r := block[j*dim : (j+4)*dim]
			scores[j], scores[j+1], scores[j+2], scores[j+3] = dot4(p[:dim], r[:dim], r[dim:2*dim], r[2*dim:3*dim], r[3*dim:4*dim])
		}
	}
	pv := blas32.Vector{N: dim, Inc: 1, Data: p}
	for ; j < len(scores); j++ {
		scores[j] = blas32.Dot(pv, blas32.Vector{N: dim, Inc: 1, Data: block[j*dim : (j+1)*dim]})
	}
}

// minHeap keeps the k best Scored seen, worst on top. A candidate scored by
// several vectors of one query keeps only its best; that duplicate check is
// a linear scan, cheap for the small k of daily picks, and skipped for
// single-vector queries.
type minHeap []Scored

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].Score != h[j].Score {
		return h[i].Score < h[j].Score
	}
	return h[i].Cand > h[j].Cand
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(Scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func better(a, b Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Cand < b.Cand
}

func (h *minHeap) offer(s Scored, k int, dedupe bool) {
	if len(*h) == k && !better(s, (*h)[0]) {
		return
	}
	if dedupe {
		for i, e := range *h {
			if e.Cand == s.Cand {
				if better(s, e) {
					(*h)[i] = s
					heap.Fix(h, i)
				}
				return
			}
		}
	}
	if len(*h) < k {
		heap.Push(h, s)
		return
	}
	(*h)[0] = s
	heap.Fix(h, 0)
}

func (h *minHeap) sorted() []Scored {
	out := make([]Scored, len(*h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(Scored)
	}
	return out
}
