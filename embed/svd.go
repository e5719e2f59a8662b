package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// sparse is a compressed-sparse-row matrix: row i holds the entries
// cols[ptr[i]:ptr[i+1]] with values vals[ptr[i]:ptr[i+1]].
type sparse struct {
	rows, cols int
	ptr        []int
	idx        []int32
	vals       []float32
}

func (s *sparse) transpose() *sparse {
	t := &sparse{rows: s.cols, cols: s.rows, ptr: make([]int, s.cols+1), idx: make([]int32, len(s.idx)), vals: make([]float32, len(s.vals))}
	for _, j := range s.idx {
		t.ptr[j+1]++
	}
	for j := 0; j < s.cols; j++ {
		t.ptr[j+1] += t.ptr[j]
	}
	next := append([]int(nil), t.ptr[:s.cols]...)
	for i := 0; i < s.rows; i++ {
		for p := s.ptr[i]; p < s.ptr[i+1]; p++ {
			j := s.idx[p]
			q := next[j]
			t.idx[q] = int32(i)
			t.vals[q] = s.vals[p]
			next[j]++
		}
	}
	return t
}

// dense32 is a row-major float32 matrix whose rows are padded with zeros
// to a multiple of 8 columns: the dense side of the sparse products. The
// products run in float32 (half the memory traffic of float64, eight
// lanes a SIMD instruction); the small dense algebra stays in float64,
// where the orthonormalization needs its precision.
type dense32 struct {
	rows, cols, stride int
	data               []float32
}

func newDense32(rows, cols int) *dense32 {
	stride := (cols + 7) &^ 7
	return &dense32{rows: rows, cols: cols, stride: stride, data: make([]float32, rows*stride)}
}

func to32(m *mat.Dense) *dense32 {
	r, c := m.Dims()
	d := newDense32(r, c)
	raw := m.RawMatrix()
	for i := 0; i < r; i++ {
		dst := d.data[i*d.stride:]
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+c] {
			dst[j] = float32(v)
		}
	}
	return d
}

func (d *dense32) to64() *mat.Dense {
	m := mat.NewDense(d.rows, max(d.cols, 1), nil)
	raw := m.RawMatrix()
	for i := 0; i < d.rows; i++ {
		dst := raw.Data[i*raw.Stride:]
		for j, v := range d.data[i*d.stride : i*d.stride+d.cols] {
			dst[j] = float64(v)
		}
	}
	return m
}

// colBlock is how many columns of the dense operand one sweep over the
// rows covers: 128 float32 are 512 bytes of each operand row, so the block
// of a 40,000-row operand (20 MB) stays in the last-level cache while the
// sparse rows gather from it at random.
const colBlock = 128

// mul returns s·d (s.rows × d.cols), parallel over row blocks.
func (s *sparse) mul(d *dense32) *dense32 {
	out := newDense32(s.rows, d.cols)
	parallelRows(s.rows, func(lo, hi int) {
		for c0 := 0; c0 < d.stride; c0 += colBlock {
			c1 := min(c0+colBlock, d.stride)
			seg := func(r int32) []float32 { return d.data[int(r)*d.stride+c0 : int(r)*d.stride+c1] }
			for i := lo; i < hi; i++ {
				dst := out.data[i*out.stride+c0 : i*out.stride+c1]
				addRows(dst, seg, s.idx[s.ptr[i]:s.ptr[i+1]], s.vals[s.ptr[i]:s.ptr[i+1]])
			}
		}
	})
	return out
}

// addRows adds vals[p]·row(idx[p]) for every p to dst, four rows a pass.
func addRows(dst []float32, row func(int32) []float32, idx []int32, vals []float32) {
	p := 0
	for ; p+4 <= len(idx); p += 4 {
		axpy4(dst, row(idx[p]), row(idx[p+1]), row(idx[p+2]), row(idx[p+3]), vals[p], vals[p+1], vals[p+2], vals[p+3])
	}
	if p < len(idx) {
		// The last one to three entries, padded with zero weights.
		var r [4]int32
		var a [4]float32
		for j := range r {
			r[j] = idx[p]
			if p+j < len(idx) {
				r[j], a[j] = idx[p+j], vals[p+j]
			}
		}
		axpy4(dst, row(r[0]), row(r[1]), row(r[2]), row(r[3]), a[0], a[1], a[2], a[3])
	}
}

func axpy4Generic(dst, s0, s1, s2, s3 []float32, a0, a1, a2, a3 float32) {
	for i := range dst {
		dst[i] += a0*s0[i] + a1*s1[i] + a2*s2[i] + a3*s3[i]
	}
}

func parallelRows(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = 1
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}

// gram returns yᵀy.
func gram(y *mat.Dense) *mat.SymDense {
	_, l := y.Dims()
	return mat.NewSymDense(l, crossGram(y, y, true).RawMatrix().Data)
}

// orthonormalize returns an orthonormal basis of y's column space,
// reusing y's storage. The fast way is a Cholesky QR (yᵀy = RᵀR,
// Q = yR⁻¹), whose loss of orthogonality is about the condition number of
// yᵀy times the rounding unit: a second pass runs only when that could
// exceed 1e-10. When y is rank-deficient (a tiny catalog) the Cholesky
// fails and the eigen-decomposition of yᵀy drops the null directions
// instead, so the result may have fewer columns.
func orthonormalize(y *mat.Dense) *mat.Dense {
	cond, ok := cholQR(y)
	if ok && cond <= 1e6 {
		return y
	}
	if ok {
		if _, ok := cholQR(y); ok {
			return y
		}
	}
	return eigenOrthonormalize(y)
}

// cholQR turns y into an orthonormal basis of its column space in place:
// with yᵀy = RᵀR, Q = yR⁻¹. It returns the condition number of yᵀy, or
// false, leaving y as it was, when y is too ill-conditioned.
func cholQR(y *mat.Dense) (float64, bool) {
	var ch mat.Cholesky
	if !ch.Factorize(gram(y)) || ch.Cond() > 1e15 {
		return 0, false
	}
	var r, rinv mat.TriDense
	ch.UTo(&r)
	if err := rinv.InverseTri(&r); err != nil {
		return 0, false
	}
	y.Copy(mulRows(y, mat.DenseCopyOf(&rinv), true))
	return ch.Cond(), true
}

func eigenOrthonormalize(y *mat.Dense) *mat.Dense {
	_, l := y.Dims()
	g := gram(y)
	var eig mat.EigenSym
	if !eig.Factorize(g, true) {
		panic("embed: eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	var w mat.Dense
	eig.VectorsTo(&w)
	maxVal := vals[len(vals)-1]
	keep := make([]int, 0, l)
	for i := len(vals) - 1; i >= 0; i-- {
		if vals[i] > maxVal*1e-12 && vals[i] > 0 {
			keep = append(keep, i)
		}
	}
	scaled := mat.NewDense(l, len(keep), nil)
	for c, i := range keep {
		inv := 1 / math.Sqrt(vals[i])
		for r := 0; r < l; r++ {
			scaled.Set(r, c, w.At(r, i)*inv)
		}
	}
	var q mat.Dense
	q.Mul(y, scaled)
	return &q
}

// truncatedSVD returns the top k right singular vectors of x as the columns
// of a cols×k matrix, and the singular values, by randomized range finding
// (Halko, Martinsson and Tropp 2011) with power iterations. The seed makes
// it deterministic.
func truncatedSVD(ctx context.Context, x *sparse, k, oversample, powerIters int, seed uint64) (*dense32, []float64, error) {
	l := min(k+oversample, x.rows, x.cols)
	if l <= 0 {
		return newDense32(x.cols, 0), nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	omega := newDense32(x.cols, l)
	for i := 0; i < x.cols; i++ {
		for j := 0; j < l; j++ {
			omega.data[i*omega.stride+j] = float32(rng.NormFloat64())
		}
	}
	xt := x.transpose()
	q := orthonormalize(x.mul(omega).to64())
	for it := 0; it < powerIters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		// Only the document side is re-orthonormalized: the term side has
		// as many rows as the vocabulary, and two iterations do not lose
		// enough precision to need it.
		q = orthonormalize(x.mul(xt.mul(to32(q))).to64())
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// B = qᵀx is small (l×cols). Its Gram BBᵀ = qᵀ(x(xᵀq)) = qᵀ(xz) with
	// z = xᵀq costs n·l² on the document side, against cols·l² as zᵀz on
	// the term side: take the smaller. B's left singular vectors u and
	// values σ give the right ones as z·u/σ.
	z := xt.mul(to32(q))
	var m *mat.SymDense
	if x.rows < x.cols {
		g := crossGram(q, x.mul(z).to64(), false)
		_, l := g.Dims()
		m = mat.NewSymDense(l, nil)
		for i := 0; i < l; i++ {
			for j := i; j < l; j++ {
				m.SetSym(i, j, (g.At(i, j)+g.At(j, i))/2)
			}
		}
	} else {
		m = gram(z.to64())
	}
	var eig mat.EigenSym
	if !eig.Factorize(m, true) {
		panic("embed: eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	order := make([]int, len(vals))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	_, ql := q.Dims()
	k = min(k, ql)
	sigma := make([]float64, 0, k)
	for c := 0; c < k; c++ {
		s := math.Sqrt(math.Max(vals[order[c]], 0))
		if s < 1e-9 {
			break
		}
		sigma = append(sigma, s)
	}
	sel := mat.NewDense(ql, max(len(sigma), 1), nil)
	for c, s := range sigma {
		i := order[c]
		for r := 0; r < ql; r++ {
			sel.Set(r, c, u.At(r, i)/s)
		}
	}
	// z·sel = xᵀ(q·sel): multiply on the side with fewer rows.
	if x.rows < x.cols {
		v := xt.mul(to32(mulRows(q, sel, false)))
		v.cols = len(sigma)
		return v, sigma, nil
	}
	v := to32(mulRows(z.to64(), sel, false))
	v.cols = len(sigma)
	return v, sigma, nil
}
