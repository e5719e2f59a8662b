package rank

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/paperpicks/paperpicks"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// Transform is a fixed linear map of candidate vectors, applied once per
// daily run: a strategy whose profiles live in the transformed space scores
// a candidate x as w·(A·x), which keeps the ranking a single batched product
// of profiles against the transformed candidates. A is Dim×Dim, row-major.
type Transform struct {
	Dim int
	A   []float32
}

// Apply returns every row x of m replaced by A·x, in a new matrix. It is one
// matrix product, m·Aᵀ: 2,000 candidates of 512 dimensions take about 0.5
// GFLOP. A nil Transform returns m itself.
func (t *Transform) Apply(m Matrix) Matrix {
	if t == nil {
		return m
	}
	out := Matrix{Rows: m.Rows, Dim: t.Dim, Data: make([]float32, m.Rows*t.Dim)}
	if m.Rows == 0 {
		return out
	}
	x := blas32.General{Rows: m.Rows, Cols: m.Dim, Stride: m.Dim, Data: m.Data}
	a := blas32.General{Rows: t.Dim, Cols: t.Dim, Stride: t.Dim, Data: t.A}
	y := blas32.General{Rows: out.Rows, Cols: out.Dim, Stride: out.Dim, Data: out.Data}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, x, a, 0, y)
	return out
}

// Vec returns A·v.
func (t *Transform) Vec(v []float32) []float32 {
	out := make([]float32, t.Dim)
	for r := range out {
		out[r] = dot(t.A[r*t.Dim:(r+1)*t.Dim], v)
	}
	return out
}

func transformOf(a *mat.Dense) *Transform {
	n, _ := a.Dims()
	t := &Transform{Dim: n, A: make([]float32, n*n)}
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			t.A[r*n+c] = float32(a.At(r, c))
		}
	}
	return t
}

func (t *Transform) dense() *mat.Dense {
	d := mat.NewDense(t.Dim, t.Dim, nil)
	for i, x := range t.A {
		d.Set(i/t.Dim, i%t.Dim, float64(x))
	}
	return d
}

// Whitening returns (C + λ·I)⁻¹, C the covariance of the catalog's rows.
// The top LSA directions (broad fields) carry most of the variance, so a
// plain dot product ranks by field; whitening lets the narrow directions
// that tell one reader's niche from another's count as much. λ, in units of
// the covariance's mean eigenvalue, keeps the noisiest directions from
// dominating. One 512×512 eigendecomposition: well under a second.
func Whitening(catalog Matrix, lambda float64) (*Transform, error) {
	if catalog.Rows < 2 || catalog.Dim == 0 {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "whitening needs at least 2 catalog vectors, got %d", catalog.Rows)
	}
	if lambda <= 0 {
		return nil, paperpicks.FieldErrorf("lambda", "whitening ridge must be positive, got %g", lambda)
	}
	cov := covariance(catalog)
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, paperpicks.Errorf(paperpicks.EINTERNAL, "catalog covariance: eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	ridge := lambda * mat.Trace(cov) / float64(catalog.Dim)
	n := catalog.Dim
	us := mat.DenseCopyOf(&u)
	for i := 0; i < n; i++ {
		row := us.RawRowView(i)
		for j := range row {
			row[j] /= math.Max(vals[j], 0) + ridge
		}
	}
	var a mat.Dense
	a.Mul(us, u.T())
	return transformOf(&a), nil
}

// covariance is the centered covariance of m's rows.
func covariance(m Matrix) *mat.SymDense {
	mean := make([]float64, m.Dim)
	for i := 0; i < m.Rows; i++ {
		for c, x := range m.Row(i) {
			mean[c] += float64(x)
		}
	}
	for c := range mean {
		mean[c] /= float64(m.Rows)
	}
	x := mat.NewDense(m.Rows, m.Dim, nil)
	for i := 0; i < m.Rows; i++ {
		row := x.RawRowView(i)
		for c, v := range m.Row(i) {
			row[c] = float64(v) - mean[c]
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1/float64(m.Rows), x.T())
	return &cov
}

// LearnConfig shapes LearnTransform.
type LearnConfig struct {
	Epochs    int     // passes over the (profile, left-out like) pairs
	Batch     int     // pairs per step
	Negatives int     // random catalog rows per step, shared by its pairs
	LR        float64 // Adam step size, falling linearly to 0 over the run
	Spread    float64 // init is scaled so that scores spread with this std: the softmax temperature
	MaxPairs  int     // pairs per epoch at most (a random subset when more)
	Seed      uint64
}

// DefaultLearnConfig was tuned on a validation split of the CiteULike
// libraries that holds out 20% of the old papers, never the evaluation's
// new ones (internal/evaldrv -val): more epochs or a higher rate overfit, a
// spread of 2 (a colder softmax) fell below the mean profile.
func DefaultLearnConfig() LearnConfig {
	return LearnConfig{Epochs: 4, Batch: 256, Negatives: 512, LR: 0.01, Spread: 0.67, MaxPairs: 200_000, Seed: 1}
}

// LearnTransform fits M in score(u, x) = âᵤᵀ·M·x, starting from init scaled
// to the configured Spread, where âᵤ = (μᵤ − center)/‖μᵤ − center‖ is the
// user's normalized centered mean of likes, exactly what the Learned
// strategy builds from running sums.
// Each training pair leaves one like out of a user's library (likes holds
// catalog row indices per user), builds â from the rest and asks, through a
// sampled softmax, that the left-out like outscore Negatives random catalog
// rows. So M learns from all users' libraries which directions of the
// space predict the next like: what whitening guesses from the catalog
// alone. The cost is Epochs·pairs·4·Dim·(Dim+Negatives) flops, pairs being
// the likes (at most MaxPairs per epoch): 4 epochs over CiteULike's 107k
// likes take 2.5 min on 2 shared cores. It is a periodic job (beside a refit
// of the embedder, or weekly), not part of the daily run.
func LearnTransform(ctx context.Context, catalog Matrix, likes [][]int, center []float32, init *Transform, cfg LearnConfig) (*Transform, error) {
	d := catalog.Dim
	if init == nil || init.Dim != d || len(center) != d {
		return nil, paperpicks.Errorf(paperpicks.EINVALID, "learn transform: initial transform, center and catalog must share one dimension (%d)", d)
	}
	if cfg.Epochs < 1 || cfg.Batch < 1 || cfg.Negatives < 1 || cfg.LR <= 0 || cfg.Spread <= 0 {
		return nil, paperpicks.Errorf(paperpicks.EINVALID, "learn transform: epochs, batch, negatives, learning rate and spread must be positive: %+v", cfg)
	}
	type pair struct{ user, like int }
	var pairs []pair
	sums := make([][]float64, len(likes))
	for u, l := range likes {
		if len(l) < 2 {
			continue
		}
		sums[u] = make([]float64, d)
		for _, j := range l {
			if j < 0 || j >= catalog.Rows {
				return nil, paperpicks.Errorf(paperpicks.EINVALID, "learn transform: like of row %d outside the catalog (%d rows)", j, catalog.Rows)
			}
			for k, x := range catalog.Row(j) {
				sums[u][k] += float64(x)
			}
			pairs = append(pairs, pair{u, j})
		}
	}
	if len(pairs) < cfg.Batch {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "learn transform: %d training pairs, need at least a batch (%d)", len(pairs), cfg.Batch)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	perEpoch := min(len(pairs), max(cfg.MaxPairs, cfg.Batch)) / cfg.Batch
	steps := cfg.Epochs * perEpoch
	B, K := cfg.Batch, cfg.Negatives
	m := init.dense()
	mom, vel := make([]float64, d*d), make([]float64, d*d)
	a := mat.NewDense(B, d, nil)   // the batch's profiles â
	pos := mat.NewDense(B, d, nil) // their left-out likes
	neg := mat.NewDense(K, d, nil) // shared negatives
	g := mat.NewDense(B, K, nil)   // ∂loss/∂score of each negative
	gp := make([]float64, B)       // ∂loss/∂score of each positive
	fill := func(batch []int) {
		for r, pi := range batch {
			p := pairs[pi]
			x := catalog.Row(p.like)
			n := float64(len(likes[p.user]) - 1)
			row := a.RawRowView(r)
			var norm float64
			for k := range row {
				row[k] = (sums[p.user][k]-float64(x[k]))/n - float64(center[k])
				norm += row[k] * row[k]
			}
			if norm > 0 {
				inv := 1 / math.Sqrt(norm)
				for k := range row {
					row[k] *= inv
				}
			}
			setRow(pos.RawRowView(r), x)
		}
		for j := 0; j < K; j++ {
			setRow(neg.RawRowView(j), catalog.Row(rng.IntN(catalog.Rows)))
		}
	}
	var am, sn, e, grad mat.Dense
	// Calibrate the temperature on one batch: scale init so that scores
	// against random papers have the configured spread.
	fill(rng.Perm(len(pairs))[:B])
	am.Mul(a, m)
	sn.Mul(&am, neg.T())
	if sd := stdDev(sn.RawMatrix().Data); sd > 0 {
		m.Scale(cfg.Spread/sd, m)
	}
	step := 0
	for ep := 0; ep < cfg.Epochs; ep++ {
		perm := rng.Perm(len(pairs))
		for b := 0; b < perEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fill(perm[b*B : (b+1)*B])
			am.Mul(a, m)
			sn.Mul(&am, neg.T())
			for r := 0; r < B; r++ {
				sp := mat.Dot(am.RowView(r), pos.RowView(r))
				srow, grow := sn.RawRowView(r), g.RawRowView(r)
				mx := sp
				for _, s := range srow {
					mx = math.Max(mx, s)
				}
				z := math.Exp(sp - mx)
				for j, s := range srow {
					grow[j] = math.Exp(s - mx)
					z += grow[j]
				}
				for j := range grow {
					grow[j] /= z
				}
				gp[r] = math.Exp(sp-mx)/z - 1
			}
			// ∂loss/∂M = Σᵣ âᵣ·(gpᵣ·posᵣ + Σⱼ gᵣⱼ·negⱼ)ᵀ / B
			e.Mul(g, neg)
			for r := 0; r < B; r++ {
				erow, prow := e.RawRowView(r), pos.RawRowView(r)
				for k := range erow {
					erow[k] += gp[r] * prow[k]
				}
			}
			grad.Mul(a.T(), &e)
			step++
			lr := cfg.LR * (1 - float64(step-1)/float64(steps))
			adam(m.RawMatrix().Data, grad.RawMatrix().Data, mom, vel, lr, 1/float64(B), step)
		}
	}
	return transformOf(m), nil
}

func stdDev(xs []float64) float64 {
	var s, ss float64
	for _, x := range xs {
		s += x
		ss += x * x
	}
	n := float64(len(xs))
	return math.Sqrt(math.Max(ss/n-(s/n)*(s/n), 0))
}

func setRow(dst []float64, src []float32) {
	for i, x := range src {
		dst[i] = float64(x)
	}
}

// adam takes one Adam step on w with gradient scale·g.
func adam(w, g, mom, vel []float64, lr, scale float64, t int) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1, c2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
	for i, x := range g {
		x *= scale
		mom[i] = b1*mom[i] + (1-b1)*x
		vel[i] = b2*vel[i] + (1-b2)*x*x
		w[i] -= lr * (mom[i] / c1) / (math.Sqrt(vel[i]/c2) + eps)
	}
}
