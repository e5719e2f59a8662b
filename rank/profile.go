package rank

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/paperpicks/paperpicks"
)

// Signals is what a strategy knows about one user: the running sums of the
// vectors they voted up and down (each weighted by its time decay, 1 without
// decay), the summed weights, and, for strategies that need them, the voted
// vectors themselves.
type Signals struct {
	UpSum, DownSum []float32
	UpW, DownW     float64
	Liked          []Voted // the up votes; only filled when the strategy asks
}

// Voted is one voted paper's vector.
type Voted struct {
	PaperID string
	Vector  []float32
}

// Profile is what candidates are scored against: a candidate's score is the
// largest dot product with any of the vectors, and the index of that vector
// in Explain (when set) names the liked paper that explains the pick.
type Profile struct {
	Vectors [][]float32
}

// Strategy turns a user's signals into a profile. Strategies whose profile
// is one weight vector keep the daily ranking a single batched product.
type Strategy interface {
	Name() string
	// NeedsLiked reports whether Build reads Signals.Liked.
	NeedsLiked() bool
	// Build returns the profile, or false when the signals are too weak
	// (no up votes) to rank by.
	Build(s *Signals, g *Global) (Profile, bool)
}

// Global is catalog-wide knowledge that strategies may use: the mean paper
// vector, the mean liked vector over all users, and the candidate
// transforms of the whitened and learned strategies (nil when not
// computed). NewGlobal and Learn are catalog-wide jobs (a refit, a daily or
// weekly schedule), never per user or per event.
type Global struct {
	CatalogMean []float32
	LikesMean   []float32
	Whitening   *Transform // (C+λI)⁻¹ of the catalog, from NewGlobal
	Learned     *Transform // from Learn; nil until fitted
}

// DefaultWhiteningLambda is Whitening's ridge, in units of the catalog
// covariance's mean eigenvalue, chosen on CiteULike with the evaluation
// driver (internal/evaldrv -x whiten).
const DefaultWhiteningLambda = 2.5

// NewGlobal computes the catalog-wide state from every catalog vector (old
// and new papers alike: no feedback is read) and the mean of all users'
// liked vectors: the catalog mean and the whitening transform with ridge
// lambda (DefaultWhiteningLambda when 0). Learned stays nil; see Learn.
func NewGlobal(catalog Matrix, likesMean []float32, lambda float64) (*Global, error) {
	if lambda == 0 {
		lambda = DefaultWhiteningLambda
	}
	w, err := Whitening(catalog, lambda)
	if err != nil {
		return nil, err
	}
	return &Global{CatalogMean: CatalogMean(catalog), LikesMean: likesMean, Whitening: w}, nil
}

// Learn fits the Learned transform on the users' libraries (likes: catalog
// row indices per user, training feedback only), starting from the
// whitening; see LearnTransform for what it learns and what it costs.
func (g *Global) Learn(ctx context.Context, catalog Matrix, likes [][]int, cfg LearnConfig) error {
	t, err := LearnTransform(ctx, catalog, likes, g.CatalogMean, g.Whitening, cfg)
	if err != nil {
		return err
	}
	g.Learned = t
	return nil
}

// PrepareCandidates returns the candidates as s scores them: transformed
// once when s is a CandidateTransformer (as Built.Rank does), else cands.
// The evaluation calls it before RankProfiles.
func PrepareCandidates(s Strategy, g *Global, cands Matrix) Matrix {
	if t, ok := s.(CandidateTransformer); ok {
		return t.TransformCandidates(g, cands)
	}
	return cands
}

// StrategyNames lists the strategies StrategyByName knows.
func StrategyNames() []string {
	return []string{"mean", "rocchio", "centered", "centroids", "nearest", "linear", "whitened", "learned"}
}

// StrategyByName returns a strategy with its default parameters.
func StrategyByName(name string) (Strategy, error) {
	switch strings.ToLower(name) {
	case "mean":
		return Mean{}, nil
	case "rocchio":
		return Rocchio{Beta: 0.5, Gamma: 0.3}, nil
	case "centered":
		return Centered{Gamma: 1}, nil
	case "centroids":
		return Centroids{K: 3, Iters: 10}, nil
	case "nearest":
		return Nearest{}, nil
	case "whitened":
		return Whitened{Beta: 0.5}, nil
	case "learned":
		return Learned{Beta: 0.5}, nil
	case "linear":
		return Linear{Kappa: 4}, nil
	}
	return nil, paperpicks.FieldErrorf("strategy", "unknown profile strategy %q (known: %s)", name, strings.Join(StrategyNames(), ", "))
}

// Mean is the design's baseline: the mean of liked vectors.
type Mean struct{}

func (Mean) Name() string     { return "mean" }
func (Mean) NeedsLiked() bool { return false }
func (Mean) Build(s *Signals, _ *Global) (Profile, bool) {
	if s.UpW <= 0 {
		return Profile{}, false
	}
	return Profile{Vectors: [][]float32{scaled(s.UpSum, 1/s.UpW)}}, true
}

// Rocchio pulls the mean of likes away from the mean of dislikes (Beta) and
// from the catalog mean (Gamma), which stands in for sampled unliked papers.
type Rocchio struct{ Beta, Gamma float64 }

func (r Rocchio) Name() string   { return fmt.Sprintf("rocchio(beta=%g,gamma=%g)", r.Beta, r.Gamma) }
func (Rocchio) NeedsLiked() bool { return false }
func (r Rocchio) Build(s *Signals, g *Global) (Profile, bool) {
	if s.UpW <= 0 {
		return Profile{}, false
	}
	w := scaled(s.UpSum, 1/s.UpW)
	if s.DownW > 0 {
		axpy(w, s.DownSum, float32(-r.Beta/s.DownW))
	}
	if g != nil && g.CatalogMean != nil {
		axpy(w, g.CatalogMean, float32(-r.Gamma))
	}
	return Profile{Vectors: [][]float32{w}}, true
}

// Centered subtracts the mean liked vector over all users: what everybody
// likes says little about one user (an IDF over users, in vector space).
type Centered struct{ Gamma float64 }

func (c Centered) Name() string   { return fmt.Sprintf("centered(gamma=%g)", c.Gamma) }
func (Centered) NeedsLiked() bool { return false }
func (c Centered) Build(s *Signals, g *Global) (Profile, bool) {
	if s.UpW <= 0 {
		return Profile{}, false
	}
	w := scaled(s.UpSum, 1/s.UpW)
	if s.DownW > 0 {
		axpy(w, s.DownSum, float32(-0.5/s.DownW))
	}
	if g != nil && g.LikesMean != nil {
		axpy(w, g.LikesMean, float32(-c.Gamma))
	}
	return Profile{Vectors: [][]float32{w}}, true
}

// Centroids clusters the likes into up to K groups (spherical k-means,
// deterministic seeding) and scores by the nearest centroid.
type Centroids struct{ K, Iters int }

func (c Centroids) Name() string   { return fmt.Sprintf("centroids(k=%d)", c.K) }
func (Centroids) NeedsLiked() bool { return true }
func (c Centroids) Build(s *Signals, _ *Global) (Profile, bool) {
	if len(s.Liked) == 0 {
		return Profile{}, false
	}
	k := min(c.K, (len(s.Liked)+4)/5) // at least five likes per centroid
	vecs := make([][]float32, len(s.Liked))
	for i, v := range s.Liked {
		vecs[i] = v.Vector
	}
	return Profile{Vectors: kmeans(vecs, k, c.Iters)}, true
}

// Nearest scores a candidate by its most similar liked paper.
type Nearest struct{}

func (Nearest) Name() string     { return "nearest" }
func (Nearest) NeedsLiked() bool { return true }
func (Nearest) Build(s *Signals, _ *Global) (Profile, bool) {
	if len(s.Liked) == 0 {
		return Profile{}, false
	}
	p := Profile{Vectors: make([][]float32, len(s.Liked))}
	for i, v := range s.Liked {
		p.Vectors[i] = v.Vector
	}
	return p, true
}

// Whitened scores whitened candidates, (C+λI)⁻¹·x, against the user's mean
// like minus the catalog mean: the linear discriminant of the user's likes
// against the catalog under a shared covariance. Its profile is O(dim) from
// the running sums; see centeredUnit.
type Whitened struct{ Beta float64 }

func (w Whitened) Name() string   { return fmt.Sprintf("whitened(beta=%g)", w.Beta) }
func (Whitened) NeedsLiked() bool { return false }
func (w Whitened) Build(s *Signals, g *Global) (Profile, bool) {
	return centeredUnit(s, g, w.Beta)
}

// TransformCandidates applies the whitening; without it (a Global not made
// by NewGlobal) candidates stay as they are.
func (Whitened) TransformCandidates(g *Global, cands Matrix) Matrix {
	if g == nil {
		return cands
	}
	return g.Whitening.Apply(cands)
}

// Learned is Whitened with the transform learned from all users' libraries
// (Global.Learn, LearnTransform): the best strategy on CiteULike. Until a
// transform is learned it falls back to the whitening it starts from.
type Learned struct{ Beta float64 }

func (l Learned) Name() string   { return fmt.Sprintf("learned(beta=%g)", l.Beta) }
func (Learned) NeedsLiked() bool { return false }
func (l Learned) Build(s *Signals, g *Global) (Profile, bool) {
	return centeredUnit(s, g, l.Beta)
}

// TransformCandidates applies the learned transform, else the whitening.
func (Learned) TransformCandidates(g *Global, cands Matrix) Matrix {
	switch {
	case g == nil:
		return cands
	case g.Learned != nil:
		return g.Learned.Apply(cands)
	}
	return g.Whitening.Apply(cands)
}

// centeredUnit is the profile of Whitened and Learned, O(dim) from the
// running sums: the mean like minus the catalog mean, pulled away from the
// mean dislike (also catalog-centered) by beta, scaled to unit length —
// the length is what LearnTransform trained on; rankings ignore it.
func centeredUnit(s *Signals, g *Global, beta float64) (Profile, bool) {
	if s.UpW <= 0 {
		return Profile{}, false
	}
	up, down := 1/s.UpW, 0.0
	if s.DownW > 0 {
		down = beta / s.DownW
	}
	var c []float32
	if g != nil {
		c = g.CatalogMean
	}
	w := make([]float32, len(s.UpSum))
	var n float64
	for i, x := range s.UpSum {
		v := float64(x) * up
		if down != 0 {
			v -= float64(s.DownSum[i]) * down
		}
		if c != nil {
			v -= float64(c[i])
			if down != 0 { // the dislikes' mean is centered too
				v += beta * float64(c[i])
			}
		}
		w[i] = float32(v)
		n += v * v
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for i := range w {
			w[i] *= inv
		}
	}
	return Profile{Vectors: [][]float32{w}}, true
}

func scaled(v []float32, f float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * f)
	}
	return out
}

func axpy(dst, x []float32, a float32) {
	for i, v := range x {
		dst[i] += a * v
	}
}

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a) &^ 3
	b = b[:len(a)]
	for i := 0; i < n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for i := n; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// kmeans is spherical k-means seeded by farthest-point selection from the
// first vector, so it is deterministic.
func kmeans(vecs [][]float32, k, iters int) [][]float32 {
	if k <= 1 {
		return [][]float32{meanOf(vecs)}
	}
	centers := [][]float32{vecs[0]}
	for len(centers) < k {
		best, bestSim := 0, float32(math.Inf(1))
		for i, v := range vecs {
			s := float32(math.Inf(-1))
			for _, c := range centers {
				s = max(s, dot(v, c))
			}
			if s < bestSim {
				best, bestSim = i, s
			}
		}
		centers = append(centers, vecs[best])
	}
	assign := make([]int, len(vecs))
	for it := 0; it < iters; it++ {
		for i, v := range vecs {
			bi, bs := 0, float32(math.Inf(-1))
			for j, c := range centers {
				if s := dot(v, c); s > bs {
					bi, bs = j, s
				}
			}
			assign[i] = bi
		}
		groups := make([][][]float32, k)
		for i, v := range vecs {
			groups[assign[i]] = append(groups[assign[i]], v)
		}
		next := centers[:0:0]
		for _, g := range groups {
			if len(g) > 0 {
				next = append(next, meanOf(g))
			}
		}
		centers = next
	}
	return centers
}

func meanOf(vecs [][]float32) []float32 {
	m := make([]float32, len(vecs[0]))
	for _, v := range vecs {
		axpy(m, v, 1)
	}
	return scaled(m, 1/float64(len(vecs)))
}
