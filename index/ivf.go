package index

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/blas/blas32"
)

// An inverted file (IVF) partitions the vectors around k-means centroids;
// a query scores the centroids, then only the vectors of its NProbe
// nearest lists. At 100k papers that is ~5% of the scan, which is what
// lets "more like this" meet its latency budget. It is approximate: the
// benchmark reports its recall against the exact scan. Below IVFMin
// vectors every query is exact.
type ivf struct {
	centroids Matrix
	lists     [][]int32 // row indices per list
	assign    []int32   // list of each row; -1 when not assigned
	trained   int       // rows when the centroids were trained
}

// Options tune the approximate search.
type Options struct {
	// IVFMin is the collection size from which queries use the inverted
	// file (0: default 32768; negative: never).
	IVFMin int
	// NProbe is how many lists a query scans (0: a sixteenth of the
	// lists, at least 8).
	NProbe int
}

func (o Options) ivfMin() int {
	if o.IVFMin == 0 {
		return 8192
	}
	return o.IVFMin
}

// listsFor is the number of lists for n vectors: √n, so lists and
// centroids cost about the same to scan.
func listsFor(n int) int {
	return min(4096, max(16, int(math.Sqrt(float64(n)))))
}

func (o Options) nprobeFor(lists int) int {
	if o.NProbe > 0 {
		return min(o.NProbe, lists)
	}
	return min(lists, max(8, lists/16))
}

// maybeBuildIVF starts a background (re)build when the collection reached
// IVFMin or doubled since the last training. The exact scan serves until
// the new file is swapped in.
func (ix *Index) maybeBuildIVF() {
	n := len(ix.ids)
	if ix.bulk || ix.opt.ivfMin() < 0 || n < ix.opt.ivfMin() || ix.building || (ix.ivf != nil && n < 2*ix.ivf.trained) {
		return
	}
	ix.building = true
	ix.dirtyRows = map[int32]bool{}
	go ix.buildIVF(n)
}

// Bulk runs fn, which loads many entries, and builds the inverted file
// once at the end rather than at every doubling on the way.
func (ix *Index) Bulk(fn func() error) error {
	ix.mu.Lock()
	ix.bulk = true
	ix.mu.Unlock()
	err := fn()
	ix.mu.Lock()
	ix.bulk = false
	ix.maybeBuildIVF()
	ix.mu.Unlock()
	return err
}

// buildIVF trains centroids on a sample, assigns every row, and swaps the
// file in; rows added or changed meanwhile are assigned at the swap.
func (ix *Index) buildIVF(n int) {
	start := time.Now()
	ctx := context.Background()
	lists := listsFor(n)
	rng := rand.New(rand.NewPCG(uint64(n), 17))
	sampleN := min(n, 40*lists)
	perm := rng.Perm(n)[:sampleN]
	ix.mu.RLock()
	sample := Matrix{Rows: sampleN, Dim: ix.dim, Data: make([]float32, 0, sampleN*ix.dim)}
	for _, r := range perm {
		sample.Data = append(sample.Data, ix.row(r)...)
	}
	ix.mu.RUnlock()
	centroids := kmeans(ctx, sample, lists, 8, rng)

	assign := make([]int32, n)
	for lo := 0; lo < n; lo += chunkRows {
		hi := min(lo+chunkRows, n)
		ix.mu.RLock()
		queries := make([][][]float32, hi-lo)
		for r := lo; r < hi; r++ {
			queries[r-lo] = [][]float32{append([]float32(nil), ix.row(r)...)}
		}
		ix.mu.RUnlock()
		nearest, _ := TopK(ctx, queries, centroids, 1, nil)
		for i, s := range nearest {
			assign[lo+i] = int32(s[0].Cand)
		}
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	f := &ivf{centroids: centroids, lists: make([][]int32, lists), trained: n}
	f.assign = append(assign, make([]int32, len(ix.ids)-n)...)
	for r := n; r < len(ix.ids); r++ {
		ix.dirtyRows[int32(r)] = true
	}
	for r := range ix.dirtyRows {
		f.assign[r] = f.nearestList(ix.row(int(r)))
	}
	for r, l := range f.assign {
		f.lists[l] = append(f.lists[l], int32(r))
	}
	ix.ivf, ix.building, ix.dirtyRows = f, false, nil
	ix.ivfBuilt = time.Since(start)
}

func (f *ivf) nearestList(v []float32) int32 {
	scores := make([]float32, f.centroids.Rows)
	scoreBlock(v, f.centroids.Data, f.centroids.Dim, scores)
	best, bestS := 0, float32(math.Inf(-1))
	for l, s := range scores {
		if s > bestS {
			best, bestS = l, s
		}
	}
	return int32(best)
}

// place records a new or changed row in the file (caller holds the write
// lock).
func (ix *Index) place(r int) {
	if ix.building {
		ix.dirtyRows[int32(r)] = true
	}
	f := ix.ivf
	if f == nil {
		return
	}
	l := f.nearestList(ix.row(r))
	if r < len(f.assign) {
		old := f.assign[r]
		if old == l {
			return
		}
		list := f.lists[old]
		for i, x := range list {
			if int(x) == r {
				f.lists[old] = append(list[:i], list[i+1:]...)
				break
			}
		}
	} else {
		f.assign = append(f.assign, make([]int32, r+1-len(f.assign))...)
	}
	f.assign[r] = l
	f.lists[l] = append(f.lists[l], int32(r))
}

// probe scores the rows of the nprobe lists nearest to q (caller holds the
// read lock).
func (ix *Index) probe(q []float32, k, self int) []Scored {
	f := ix.ivf
	cs := make([]float32, f.centroids.Rows)
	scoreBlock(q, f.centroids.Data, ix.dim, cs)
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	nprobe := ix.opt.nprobeFor(len(cs))
	sort.Slice(order, func(a, b int) bool { return cs[order[a]] > cs[order[b]] })
	var h minHeap
	qv := blas32.Vector{N: ix.dim, Inc: 1, Data: q}
	offer := func(i int, s float32) {
		if i != self && ix.live[i] {
			h.offer(Scored{Cand: i, Score: s}, k, false)
		}
	}
	four := hasDot4 && ix.dim%16 == 0
	for _, l := range order[:nprobe] {
		rows := f.lists[l]
		j := 0
		if four {
			for ; j+4 <= len(rows); j += 4 {
				a, b, c, d := int(rows[j]), int(rows[j+1]), int(rows[j+2]), int(rows[j+3])
				sa, sb, sc, sd := dot4(q, ix.row(a), ix.row(b), ix.row(c), ix.row(d))
				offer(a, sa)
				offer(b, sb)
				offer(c, sc)
				offer(d, sd)
			}
		}
		for ; j < len(rows); j++ {
			i := int(rows[j])
			offer(i, blas32.Dot(qv, blas32.Vector{N: ix.dim, Inc: 1, Data: ix.row(i)}))
		}
	}
	return h
}

// kmeans is spherical k-means over the rows of m, seeded with distinct
// random rows; it returns the unit-length centroids.
func kmeans(ctx context.Context, m Matrix, k, iters int, rng *rand.Rand) Matrix {
	k = min(k, m.Rows)
	c := Matrix{Rows: k, Dim: m.Dim, Data: make([]float32, k*m.Dim)}
	for i, r := range rng.Perm(m.Rows)[:k] {
		copy(c.Row(i), m.Row(r))
	}
	queries := make([][][]float32, m.Rows)
	for i := range queries {
		queries[i] = [][]float32{m.Row(i)}
	}
	for it := 0; it < iters; it++ {
		nearest, err := TopK(ctx, queries, c, 1, nil)
		if err != nil {
			break
		}
		sums := make([]float64, k*m.Dim)
		counts := make([]int, k)
		for i, s := range nearest {
			l := s[0].Cand
			counts[l]++
			for j, x := range m.Row(i) {
				sums[l*m.Dim+j] += float64(x)
			}
		}
		for l := 0; l < k; l++ {
			if counts[l] == 0 {
				copy(c.Row(l), m.Row(rng.IntN(m.Rows))) // an empty list restarts at a random row
				continue
			}
			var norm float64
			for j := 0; j < m.Dim; j++ {
				norm += sums[l*m.Dim+j] * sums[l*m.Dim+j]
			}
			inv := 1 / math.Sqrt(max(norm, 1e-30))
			for j := 0; j < m.Dim; j++ {
				c.Data[l*m.Dim+j] = float32(sums[l*m.Dim+j] * inv)
			}
		}
	}
	return c
}
