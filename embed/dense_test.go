package embed

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randomDense(rng *rand.Rand, r, c int) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, rng.NormFloat64())
		}
	}
	return d
}

// The AVX2 products agree with gonum's on shapes that cross the row
// blocks and leave remainders of the four-wide kernel.
func TestDenseProductsMatchGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 300, 613} {
		for _, l := range []int{1, 6, 13, 70} {
			a, b := randomDense(rng, n, l), randomDense(rng, n, l+3)
			var want mat.Dense
			want.Mul(a.T(), b)
			if d := maxAbsDiff(crossGram(a, b, false), &want); d > 1e-9*float64(n) {
				t.Errorf("n=%d l=%d: aᵀb differs by %g", n, l, d)
			}
			var wantSym mat.Dense
			wantSym.Mul(a.T(), a)
			if d := maxAbsDiff(crossGram(a, a, true), &wantSym); d > 1e-9*float64(n) {
				t.Errorf("n=%d l=%d: aᵀa differs by %g", n, l, d)
			}

			small := randomDense(rng, l, 9)
			var prod mat.Dense
			prod.Mul(a, small)
			if d := maxAbsDiff(mulRows(a, small, false), &prod); d > 1e-9*float64(l) {
				t.Errorf("n=%d l=%d: a·b differs by %g", n, l, d)
			}
			tri := randomDense(rng, l, l)
			for i := 0; i < l; i++ {
				for j := 0; j < i; j++ {
					tri.Set(i, j, 0)
				}
			}
			prod.Reset()
			prod.Mul(a, tri)
			if d := maxAbsDiff(mulRows(a, tri, true), &prod); d > 1e-9*float64(l) {
				t.Errorf("n=%d l=%d: a·(upper triangular) differs by %g", n, l, d)
			}
		}
	}
}
