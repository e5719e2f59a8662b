package index

import (
	"context"
	"math"
	"math/rand/v2"
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
	lists     []ivfList
	assign    []int32 // list of each row
	trained   int     // rows when the centroids were trained
}

// ivfList holds a list's rows with their vectors quantized to int8 (one
// scale per row), stored one after another. A probe streams these codes
// in order, a quarter of the bytes of the float32 rows, which at 100k
// papers are scattered over 200 MB; the best few by the approximate score
// are then rescored exactly (see probe).
type ivfList struct {
	rows   []int32
	codes  []int8 // row j's codes are codes[j*dim : (j+1)*dim]
	scales []float32
}

func (l *ivfList) add(r int32, v []float32) {
	l.rows = append(l.rows, r)
	l.codes = append(l.codes, make([]int8, len(v))...)
	l.scales = append(l.scales, quantize(v, l.codes[len(l.codes)-len(v):]))
}

// remove takes row r out of the list, moving the last row into its slot.
func (l *ivfList) remove(r int32, dim int) {
	for j, x := range l.rows {
		if x != r {
			continue
		}
		last := len(l.rows) - 1
		l.rows[j], l.scales[j] = l.rows[last], l.scales[last]
		copy(l.codes[j*dim:(j+1)*dim], l.codes[last*dim:])
		l.rows, l.scales, l.codes = l.rows[:last], l.scales[:last], l.codes[:last*dim]
		return
	}
}

// quantize writes v as int8 codes scaled by its largest magnitude and
// returns the scale: v[i] ≈ scale·dst[i], with an error of at most half a
// step (scale/2) per component.
func quantize(v []float32, dst []int8) float32 { return quantizeTo(v, dst, 127) }

// quantizeTo writes v as integers in ±r and returns the scale.
func quantizeTo[T int8 | int16](v []float32, dst []T, r float32) float32 {
	var m float32
	for _, x := range v {
		m = max(m, x, -x)
	}
	if m == 0 {
		clear(dst)
		return 0
	}
	inv := r / m
	for i, x := range v {
		// Half away from zero, as math.Round: exact in float32 below 2²³.
		y := x * inv
		if y < 0 {
			y -= 0.5
		} else {
			y += 0.5
		}
		dst[i] = T(int32(y))
	}
	return m / r
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

	f := &ivf{centroids: centroids, lists: make([]ivfList, lists), assign: make([]int32, n), trained: n}
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
			l := int32(s[0].Cand)
			f.assign[lo+i] = l
			f.lists[l].add(int32(lo+i), queries[i][0])
		}
	}

	// Rows added or changed since their copy above are placed again.
	ix.mu.Lock()
	defer ix.mu.Unlock()
	f.assign = append(f.assign, make([]int32, len(ix.ids)-n)...)
	for r := n; r < len(ix.ids); r++ {
		f.assign[r] = -1
		ix.dirtyRows[int32(r)] = true
	}
	for r := range ix.dirtyRows {
		f.replace(int(r), ix.row(int(r)), ix.dim)
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
	if ix.ivf != nil {
		ix.ivf.replace(r, ix.row(r), ix.dim)
	}
}

// replace (re)files row r, whose vector is v, in its nearest list; its
// codes are rewritten even when the list stays, as the vector may have
// changed.
func (f *ivf) replace(r int, v []float32, dim int) {
	if r >= len(f.assign) {
		n := len(f.assign)
		f.assign = append(f.assign, make([]int32, r+1-n)...)
		for i := n; i <= r; i++ {
			f.assign[i] = -1
		}
	}
	if old := f.assign[r]; old >= 0 {
		f.lists[old].remove(int32(r), dim)
	}
	l := f.nearestList(v)
	f.assign[r] = l
	f.lists[l].add(int32(r), v)
}

// shortlistFor is how many rows, best by their quantized score, a probe
// rescores exactly to return k: the int8 error (a few thousandths of a
// score) can only swap rows whose scores are that close.
func shortlistFor(k int) int { return max(4*k, 40) }

// probe scores the rows of the nprobe lists nearest to q by their int8
// codes, then rescores the shortlist from the float32 rows (caller holds
// the read lock).
func (ix *Index) probe(q []float32, k, self int) []Scored {
	f := ix.ivf
	cs := make([]float32, f.centroids.Rows)
	scoreBlock(q, f.centroids.Data, ix.dim, cs)
	var lists minHeap // the nprobe nearest lists; their order does not matter
	nprobe := ix.opt.nprobeFor(len(cs))
	for l, s := range cs {
		lists.offer(Scored{Cand: l, Score: s}, nprobe, false)
	}
	var short minHeap
	shortlist := shortlistFor(k)
	q16 := make([]int16, ix.dim)
	qscale := quantizeQuery(q, q16)
	var buf [512]int32
	for _, nl := range lists {
		list := &f.lists[nl.Cand]
		scores := buf[:]
		if len(list.rows) > len(buf) {
			scores = make([]int32, len(list.rows))
		}
		scores = scores[:len(list.rows)]
		scoreCodes(q16, list.codes, ix.dim, scores)
		for j, is := range scores {
			s := float32(is) * qscale * list.scales[j]
			if len(short) == shortlist && s < short[0].Score {
				continue // the common case, decided without a call
			}
			if i := int(list.rows[j]); i != self && ix.live[i] {
				short.offer(Scored{Cand: i, Score: s}, shortlist, false)
			}
		}
	}
	i := 0
	if hasDot4 && ix.dim%16 == 0 {
		for ; i+4 <= len(short); i += 4 {
			short[i].Score, short[i+1].Score, short[i+2].Score, short[i+3].Score =
				dot4(q, ix.row(short[i].Cand), ix.row(short[i+1].Cand), ix.row(short[i+2].Cand), ix.row(short[i+3].Cand))
		}
	}
	qv := blas32.Vector{N: ix.dim, Inc: 1, Data: q}
	for ; i < len(short); i++ {
		short[i].Score = blas32.Dot(qv, blas32.Vector{N: ix.dim, Inc: 1, Data: ix.row(short[i].Cand)})
	}
	var h minHeap
	for _, s := range short {
		h.offer(s, k, false)
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

// queryRange is the largest int16 magnitude of a query of dim components
// whose dot products with int8 codes cannot overflow int32: dim·127·r
// must stay below 2³¹. At 512 dimensions that is the full 32767; the
// rounding of even an 11-bit query (8192 dimensions) is negligible beside
// the codes'.
func queryRange(dim int) int {
	return min(32767, math.MaxInt32/(127*max(dim, 1)))
}

// codesKernelMax is the largest dimension the integer kernel takes.
const codesKernelMax = 8192

// quantizeQuery writes q as integers in ±queryRange(len(q)) and returns
// the scale, as quantize does for rows.
func quantizeQuery(q []float32, dst []int16) float32 {
	return quantizeTo(q, dst, float32(queryRange(len(q))))
}

// scoreCodes writes the integer dot product of q with each row of codes,
// four rows at a time through the assembly kernel where the CPU has it.
func scoreCodes(q []int16, codes []int8, dim int, scores []int32) {
	j := 0
	if hasDot4 && dim%32 == 0 && dim > 0 && dim <= codesKernelMax {
		for ; j+4 <= len(scores); j += 4 {
			c := codes[j*dim : (j+4)*dim]
			scores[j], scores[j+1], scores[j+2], scores[j+3] = dot4Codes(q[:dim], c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
		}
		if n := len(scores) - j; n > 0 {
			// The last one to three rows, repeated to fill the kernel's four.
			row := func(i int) []int8 { i = j + min(i, n-1); return codes[i*dim : (i+1)*dim] }
			var s [4]int32
			s[0], s[1], s[2], s[3] = dot4Codes(q[:dim], row(0), row(1), row(2), row(3))
			copy(scores[j:], s[:n])
			return
		}
	}
	for ; j < len(scores); j++ {
		scores[j] = dotCodes(q[:dim], codes[j*dim:(j+1)*dim])
	}
}

// dotCodes is the kernel's portable form.
func dotCodes(q []int16, c []int8) int32 {
	var s int32
	for i, x := range c[:len(q)] {
		s += int32(q[i]) * int32(x)
	}
	return s
}
