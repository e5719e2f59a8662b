package rank

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Linear is a per-user linear model, the arxiv-sanity idea: a ridge
// classifier of the user's liked papers (target 1) against the whole
// catalog (target 0, weight Kappa per like), solved in closed form. The
// catalog side is its covariance, shared by every user and kept in the
// model as the whitening A = (C + λI)⁻¹, so one user costs O(dim²·likes)
// through the Woodbury identity:
//
//	w = (κn(C+λI) + P̃P̃ᵀ)⁻¹ P̃·1 = B·(κn·I + P̃ᵀB)⁻¹·1,  B = A·P̃
//
// with P̃ the user's liked vectors minus the catalog mean. Its profile is
// one vector; it needs the liked vectors themselves, and the model.
type Linear struct{ Kappa float64 }

func (l Linear) Name() string   { return fmt.Sprintf("linear(kappa=%g)", l.Kappa) }
func (Linear) NeedsLiked() bool { return true }

// NeedsModel marks strategies that read Global.Whitening.
func (Linear) NeedsModel() bool { return true }

func (l Linear) Build(s *Signals, g *Global) (Profile, bool) {
	n := len(s.Liked)
	if n == 0 || g == nil || g.Whitening == nil {
		return Profile{}, false
	}
	d := g.Whitening.Dim
	p := mat.NewDense(d, n, nil)
	for j, v := range s.Liked {
		for i := 0; i < d; i++ {
			p.Set(i, j, float64(v.Vector[i]-g.CatalogMean[i]))
		}
	}
	a := mat.NewDense(d, d, nil)
	for i, x := range g.Whitening.A {
		a.RawMatrix().Data[i] = float64(x)
	}
	var b mat.Dense
	b.Mul(a, p) // d×n
	var gram mat.Dense
	gram.Mul(p.T(), &b) // n×n
	kn := l.Kappa * float64(n)
	for i := 0; i < n; i++ {
		gram.Set(i, i, gram.At(i, i)+kn)
	}
	ones := mat.NewVecDense(n, nil)
	for i := 0; i < n; i++ {
		ones.SetVec(i, 1)
	}
	var y mat.VecDense
	if err := y.SolveVec(&gram, ones); err != nil {
		return Profile{}, false
	}
	var w mat.VecDense
	w.MulVec(&b, &y)
	out := make([]float32, d)
	for i := range out {
		out[i] = float32(w.AtVec(i))
	}
	return Profile{Vectors: [][]float32{out}}, true
}
