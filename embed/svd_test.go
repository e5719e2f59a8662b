package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSparse makes a rows×cols matrix with about density of its entries
// set, each row holding 0 to a few entries more than the others so that
// every remainder of the four-at-a-time product is exercised.
func randomSparse(rng *rand.Rand, rows, cols int, density float64) (*sparse, *mat.Dense) {
	s := &sparse{rows: rows, cols: cols, ptr: make([]int, rows+1)}
	d := mat.NewDense(rows, cols, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if rng.Float64() < density {
				v := float32(rng.NormFloat64())
				s.idx = append(s.idx, int32(j))
				s.vals = append(s.vals, v)
				d.Set(i, j, float64(v))
			}
		}
		s.ptr[i+1] = len(s.idx)
	}
	return s, d
}

func TestSparseMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range []int{1, 7, 8, 13, 130, 300} { // below, at and across a column block
		s, sd := randomSparse(rng, 37, 50, 0.15)
		b := mat.NewDense(50, l, nil)
		for i := 0; i < 50; i++ {
			for j := 0; j < l; j++ {
				b.Set(i, j, float64(float32(rng.NormFloat64())))
			}
		}
		var want mat.Dense
		want.Mul(sd, b)
		for _, m := range []*sparse{s, s.transpose().transpose()} {
			got := m.mul(to32(b))
			if got.cols != l || got.rows != 37 {
				t.Fatalf("l=%d: product is %d×%d", l, got.rows, got.cols)
			}
			if d := maxAbsDiff(got.to64(), &want); d > 1e-4 {
				t.Errorf("l=%d: sparse product differs from the dense one by %g", l, d)
			}
			for i := 0; i < got.rows; i++ {
				for j := got.cols; j < got.stride; j++ {
					if got.data[i*got.stride+j] != 0 {
						t.Fatalf("l=%d: padding column %d of row %d is %g", l, j, i, got.data[i*got.stride+j])
					}
				}
			}
		}
	}
}

func TestAxpy4MatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, n := range []int{1, 5, 8, 13, 16, 24, 528, 530} { // the kernel, its tail, and neither
		s0, s1, s2, s3 := vec(n), vec(n), vec(n), vec(n)
		got, want := vec(n), make([]float32, n)
		copy(want, got)
		axpy4(got, s0, s1, s2, s3, 0.5, -2, 3, 0)
		axpy4Generic(want, s0, s1, s2, s3, 0.5, -2, 3, 0)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Fatalf("n=%d: element %d is %g, want %g", n, i, got[i], want[i])
			}
		}
	}
}

// TestTruncatedSVD checks the randomized SVD against gonum's exact one on
// a matrix with a decaying spectrum: the singular values agree, the
// vectors are orthonormal and span the exact top-k subspace.
func TestTruncatedSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][2]int{{300, 120}, {120, 300}} { // both sides of the rows < cols switch
		rows, cols := shape[0], shape[1]
		s, d := randomSparse(rng, rows, cols, 0.1)
		// Scale column j by 0.97^j: a spectrum that decays.
		for p, j := range s.idx {
			s.vals[p] *= float32(math.Pow(0.97, float64(j)))
		}
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				d.Set(i, j, 0)
			}
			for p := s.ptr[i]; p < s.ptr[i+1]; p++ {
				d.Set(i, int(s.idx[p]), float64(s.vals[p]))
			}
		}
		const k = 10
		v, sigma, err := truncatedSVD(context.Background(), s, k, 16, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		var svd mat.SVD
		if !svd.Factorize(d, mat.SVDThin) {
			t.Fatal("exact SVD failed")
		}
		exact := svd.Values(nil)
		if len(sigma) != k || v.cols != k || v.rows != cols {
			t.Fatalf("%dx%d: %d values, vectors %d×%d, want %d and %d×%d", rows, cols, len(sigma), v.rows, v.cols, k, cols, k)
		}
		for i := range sigma {
			if math.Abs(sigma[i]-exact[i]) > 1e-3*exact[0] {
				t.Errorf("%dx%d: σ%d = %g, exact %g", rows, cols, i, sigma[i], exact[i])
			}
		}
		got := v.to64()
		var gram mat.Dense
		gram.Mul(got.T(), got)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(gram.At(i, j)-want) > 1e-3 {
					t.Fatalf("%dx%d: VᵀV[%d][%d] = %g", rows, cols, i, j, gram.At(i, j))
				}
			}
		}
		// The projection of the exact top-k vectors onto the found ones
		// keeps their length when the subspaces agree.
		var ev mat.Dense
		svd.VTo(&ev)
		var proj mat.Dense
		proj.Mul(got.T(), ev.Slice(0, cols, 0, k))
		for c := 0; c < k; c++ {
			var n float64
			for r := 0; r < k; r++ {
				n += proj.At(r, c) * proj.At(r, c)
			}
			if math.Abs(n-1) > 1e-2 {
				t.Errorf("%dx%d: exact vector %d keeps %.4f of its length in the found subspace", rows, cols, c, math.Sqrt(n))
			}
		}
	}
}

func maxAbsDiff(a, b *mat.Dense) float64 {
	r, c := a.Dims()
	var m float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m = math.Max(m, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return m
}
