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

// orthonormalize returns an orthonormal basis of y's column space through
// the eigen-decomposition of the small Gram matrix yᵀy. Directions with a
// negligible eigenvalue are dropped, so the result may have fewer columns.
func orthonormalize(y *mat.Dense) *mat.Dense {
	_, l := y.Dims()
	var g mat.SymDense
	g.SymOuterK(1, y.T())
	var eig mat.EigenSym
	if !eig.Factorize(&g, true) {
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
	q := orthonormalize(x.mulDense(omega))
	for it := 0; it < powerIters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		z := orthonormalize(xt.mulDense(q))
		q = orthonormalize(x.mulDense(z))
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// B = qᵀx is small (l×cols); its Gram BBᵀ = zᵀz with z = xᵀq gives B's
	// left singular vectors u and values σ; the right ones are z·u/σ.
	z := xt.mulDense(q)
	var m mat.SymDense
	m.SymOuterK(1, z.T())
	var eig mat.EigenSym
	if !eig.Factorize(&m, true) {
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
