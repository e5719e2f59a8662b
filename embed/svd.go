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
	vals       []float64
}

func (s *sparse) transpose() *sparse {
	t := &sparse{rows: s.cols, cols: s.rows, ptr: make([]int, s.cols+1), idx: make([]int32, len(s.idx)), vals: make([]float64, len(s.vals))}
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

// mulDense returns s·d (s.rows × d.cols), parallel over row blocks.
func (s *sparse) mulDense(d *mat.Dense) *mat.Dense {
	_, l := d.Dims()
	out := mat.NewDense(s.rows, l, nil)
	raw, dr := out.RawMatrix(), d.RawMatrix()
	parallelRows(s.rows, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+l]
			for p := s.ptr[i]; p < s.ptr[i+1]; p++ {
				v := s.vals[p]
				src := dr.Data[int(s.idx[p])*dr.Stride : int(s.idx[p])*dr.Stride+l]
				for c, x := range src {
					row[c] += v * x
				}
			}
		}
	})
	return out
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

// gram returns yᵀy, summing the Gram matrices of row blocks computed on
// all cores (gonum's symmetric rank-k update runs on one).
func gram(y *mat.Dense) *mat.SymDense {
	n, l := y.Dims()
	workers := runtime.GOMAXPROCS(0)
	parts := make([]*mat.SymDense, workers)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			var g mat.SymDense
			g.SymOuterK(1, y.Slice(lo, hi, 0, l).T())
			parts[w] = &g
		})
	}
	wg.Wait()
	g := mat.NewSymDense(l, nil)
	for _, p := range parts {
		if p != nil {
			g.AddSym(g, p)
		}
	}
	return g
}

// orthonormalize returns an orthonormal basis of y's column space. The
// fast way is a Cholesky QR (yᵀy = RᵀR, Q = yR⁻¹), done twice for
// accuracy; when y is rank-deficient (a tiny catalog) the Cholesky fails
// and the eigen-decomposition of yᵀy drops the null directions instead,
// so the result may have fewer columns.
func orthonormalize(y *mat.Dense) *mat.Dense { return orthonormalizeOnce(y, true) }

// orthonormalizeOnce is orthonormalize with the second Cholesky QR pass
// optional: between power iterations a slightly imperfect basis is
// corrected by the next pass anyway.
func orthonormalizeOnce(y *mat.Dense, twice bool) *mat.Dense {
	if q, ok := cholQR(y); ok {
		if !twice {
			return q
		}
		if q2, ok := cholQR(q); ok {
			return q2
		}
	}
	return eigenOrthonormalize(y)
}

func cholQR(y *mat.Dense) (*mat.Dense, bool) {
	var ch mat.Cholesky
	if !ch.Factorize(gram(y)) {
		return nil, false
	}
	var r, rinv mat.TriDense
	ch.UTo(&r)
	if err := rinv.InverseTri(&r); err != nil {
		return nil, false
	}
	var q mat.Dense
	q.Mul(y, mat.DenseCopyOf(&rinv)) // a dense copy takes the parallel gemm path
	return &q, true
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
func truncatedSVD(ctx context.Context, x *sparse, k, oversample, powerIters int, seed uint64) (*mat.Dense, []float64, error) {
	l := min(k+oversample, x.rows, x.cols)
	if l <= 0 {
		return mat.NewDense(x.cols, 1, nil), nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	omega := mat.NewDense(x.cols, l, nil)
	od := omega.RawMatrix().Data
	for i := range od {
		od[i] = rng.NormFloat64()
	}
	xt := x.transpose()
	q := orthonormalizeOnce(x.mulDense(omega), powerIters == 0)
	for it := 0; it < powerIters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		// Only the document side is re-orthonormalized: the term side has
		// as many rows as the vocabulary, and two iterations do not lose
		// enough precision in float64 to need it.
		q = orthonormalizeOnce(x.mulDense(xt.mulDense(q)), it == powerIters-1)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// B = qᵀx is small (l×cols). Its Gram BBᵀ = qᵀ(x(xᵀq)) = qᵀ(xz) with
	// z = xᵀq costs n·l² on the document side, against cols·l² as zᵀz on
	// the term side: take the smaller. B's left singular vectors u and
	// values σ give the right ones as z·u/σ.
	z := xt.mulDense(q)
	var m *mat.SymDense
	if x.rows < x.cols {
		var g mat.Dense
		g.Mul(q.T(), x.mulDense(z))
		_, l := g.Dims()
		m = mat.NewSymDense(l, nil)
		for i := 0; i < l; i++ {
			for j := i; j < l; j++ {
				m.SetSym(i, j, (g.At(i, j)+g.At(j, i))/2)
			}
		}
	} else {
		m = gram(z)
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
	sel := mat.NewDense(ql, k, nil)
	sigma := make([]float64, 0, k)
	for c := 0; c < k; c++ {
		i := order[c]
		s := math.Sqrt(math.Max(vals[i], 0))
		if s < 1e-9 {
			break
		}
		sigma = append(sigma, s)
		for r := 0; r < ql; r++ {
			sel.Set(r, c, u.At(r, i)/s)
		}
	}
	var v mat.Dense
	v.Mul(z, sel)
	return &v, sigma, nil
}
