package rank

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paperpicks/paperpicks"
)

func approxEq(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// sig accumulates votes the way the feedback path does: one running sum
// per direction, O(dim) per event; a negative weight takes a vote back.
type event struct {
	vec []float32
	up  bool
	w   float64
}

func sig(dim int, events ...event) *Signals {
	s := &Signals{UpSum: make([]float32, dim), DownSum: make([]float32, dim)}
	for _, e := range events {
		if e.up {
			axpy(s.UpSum, e.vec, float32(e.w))
			s.UpW += e.w
		} else {
			axpy(s.DownSum, e.vec, float32(e.w))
			s.DownW += e.w
		}
	}
	return s
}

func TestStrategiesByName(t *testing.T) {
	for _, name := range StrategyNames() {
		s, err := StrategyByName(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := s.Build(&Signals{UpSum: []float32{0, 0}}, nil); ok {
			t.Errorf("%s: built a profile without up votes", name)
		}
	}
	if _, err := StrategyByName("nope"); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("unknown strategy: got %v, want an %s error", err, paperpicks.EINVALID)
	}
}

func TestMeanIsAverageOfLikes(t *testing.T) {
	a, b, c := []float32{1, 0, 0}, []float32{0, 1, 0}, []float32{0.6, 0.8, 0}
	tests := []struct {
		name   string
		events []event
		want   []float32
	}{
		{"one like", []event{{a, true, 1}}, []float32{1, 0, 0}},
		{"two likes", []event{{a, true, 1}, {b, true, 1}}, []float32{0.5, 0.5, 0}},
		{"three likes", []event{{a, true, 1}, {b, true, 1}, {c, true, 1}}, []float32{1.6 / 3, 1.8 / 3, 0}},
		{"dislikes ignored", []event{{a, true, 1}, {b, false, 1}}, []float32{1, 0, 0}},
		{"like taken back", []event{{a, true, 1}, {b, true, 1}, {b, true, -1}}, []float32{1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Mean{}.Build(sig(3, tt.events...), nil)
			if !ok || len(p.Vectors) != 1 {
				t.Fatalf("got %v, %v", p, ok)
			}
			approxEq(t, "mean", p.Vectors[0], tt.want, 1e-6)
		})
	}
}

func TestRocchioMovesAwayFromDislikes(t *testing.T) {
	like, dislike := []float32{0.8, 0.6, 0}, []float32{0, 1, 0}
	s := sig(3, event{like, true, 1}, event{dislike, false, 1})
	for _, st := range []Strategy{Rocchio{Beta: 0.5}, Whitened{Beta: 0.5}, Learned{Beta: 0.5}} {
		t.Run(st.Name(), func(t *testing.T) {
			g := &Global{CatalogMean: []float32{0, 0, 0}}
			with, _ := st.Build(s, g)
			without, _ := st.Build(sig(3, event{like, true, 1}), g)
			cos := func(w []float32) float64 {
				return float64(dot(w, dislike)) / math.Sqrt(float64(dot(w, w)))
			}
			if cos(with.Vectors[0]) >= cos(without.Vectors[0]) {
				t.Errorf("cosine to the dislike: %g with it, %g without", cos(with.Vectors[0]), cos(without.Vectors[0]))
			}
		})
	}
}

// The whitened and learned profiles come from the running sums alone, so
// a profile kept up event by event (likes, dislikes, a like taken back)
// must equal one built from scratch from the votes that remain.
func TestCenteredUnitFromRunningSums(t *testing.T) {
	a, b, c, d := []float32{1, 0, 0}, []float32{0, 1, 0}, []float32{0, 0, 1}, []float32{0.6, 0.8, 0}
	g := &Global{CatalogMean: []float32{0.1, 0.2, 0.3}}
	events := sig(3, event{a, true, 1}, event{b, true, 1}, event{d, false, 1}, event{c, true, 1}, event{b, true, -1})
	scratch := sig(3, event{a, true, 1}, event{c, true, 1}, event{d, false, 1})
	// By hand: (a+c)/2 − m − 0.5·(d − m), scaled to unit length.
	want := []float32{0.5 - 0.1 - 0.5*(0.6-0.1), -0.2 - 0.5*(0.8-0.2), 0.5 - 0.3 - 0.5*(0-0.3)}
	n := float32(math.Sqrt(float64(dot(want, want))))
	for i := range want {
		want[i] /= n
	}
	for _, st := range []Strategy{Whitened{Beta: 0.5}, Learned{Beta: 0.5}} {
		t.Run(st.Name(), func(t *testing.T) {
			p1, ok1 := st.Build(events, g)
			p2, ok2 := st.Build(scratch, g)
			if !ok1 || !ok2 {
				t.Fatal("no profile")
			}
			approxEq(t, "from events", p1.Vectors[0], want, 1e-6)
			approxEq(t, "from scratch", p2.Vectors[0], want, 1e-6)
		})
	}
}

func TestTransformApply(t *testing.T) {
	tr := &Transform{Dim: 2, A: []float32{1, 2, 3, 4}}
	m := NewMatrix([][]float32{{1, 0}, {0, 1}, {1, 1}}, 2)
	got := tr.Apply(m)
	approxEq(t, "A·x rows", got.Data, []float32{1, 3, 2, 4, 3, 7}, 1e-6)
	approxEq(t, "Vec", tr.Vec([]float32{1, 1}), []float32{3, 7}, 1e-6)
	var none *Transform
	if out := none.Apply(m); &out.Data[0] != &m.Data[0] {
		t.Error("a nil transform must return the candidates as they are")
	}
}

// A tiny catalog that varies a lot along x and little along y: the plain
// profile ranks by the broad x direction, the whitened one by the narrow y
// direction the user's like also points to.
func TestWhiteningFavorsNarrowDirections(t *testing.T) {
	var rows [][]float32
	for i := 0; i < 50; i++ {
		rows = append(rows, []float32{1, 0}, []float32{-1, 0}, []float32{0, 0.1}, []float32{0, -0.1})
	}
	g, err := NewGlobal(NewMatrix(rows, 2), nil, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	cands := NewMatrix([][]float32{{1, 0}, {0, 1}}, 2) // broad, narrow
	like := sig(2, event{[]float32{0.8, 0.6}, true, 1})
	tests := []struct {
		st    Strategy
		first int
	}{{Mean{}, 0}, {Whitened{}, 1}, {Learned{}, 1}}
	for _, tt := range tests {
		t.Run(tt.st.Name(), func(t *testing.T) {
			p, _ := tt.st.Build(like, g)
			x := PrepareCandidates(tt.st, g, cands)
			s0, s1 := dot(p.Vectors[0], x.Row(0)), dot(p.Vectors[0], x.Row(1))
			if first := map[bool]int{true: 0, false: 1}[s0 > s1]; first != tt.first {
				t.Errorf("scores broad %g, narrow %g: want candidate %d first", s0, s1, tt.first)
			}
		})
	}
}

func TestWhiteningInvertsRidgedCovariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, dim, lambda = 400, 6, 0.5
	var rows [][]float32
	for i := 0; i < n; i++ {
		v := make([]float32, dim)
		for k := range v {
			v[k] = float32(rng.NormFloat64() * float64(k+1))
		}
		rows = append(rows, v)
	}
	m := NewMatrix(rows, dim)
	w, err := Whitening(m, lambda)
	if err != nil {
		t.Fatal(err)
	}
	cov := covariance(m)
	var tr float64
	for k := 0; k < dim; k++ {
		tr += cov.At(k, k)
	}
	for i := 0; i < dim; i++ { // (C + λ·tr/dim·I)·A = I
		for j := 0; j < dim; j++ {
			var s float64
			for k := 0; k < dim; k++ {
				s += cov.At(i, k) * float64(w.A[k*dim+j])
			}
			s += lambda * tr / dim * float64(w.A[i*dim+j])
			if want := map[bool]float64{true: 1, false: 0}[i == j]; math.Abs(s-want) > 1e-4 {
				t.Fatalf("(C+λI)·A at %d,%d = %g, want %g", i, j, s, want)
			}
		}
	}
	for _, bad := range []struct {
		m      Matrix
		lambda float64
	}{{NewMatrix(rows[:1], dim), 1}, {m, 0}, {m, -1}} {
		if _, err := Whitening(bad.m, bad.lambda); err == nil {
			t.Errorf("Whitening(%d rows, λ=%g): no error", bad.m.Rows, bad.lambda)
		}
	}
}

// Users whose likes agree only on the sign of dimension 0, in a catalog
// where every dimension has the same variance: whitening cannot tell the
// dimensions apart, learning from the libraries must weight dimension 0.
func TestLearnTransformFindsThePredictiveDirection(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const dim, papers = 4, 400
	var rows [][]float32
	for i := 0; i < papers; i++ {
		v := make([]float32, dim)
		for k := range v {
			v[k] = float32(rng.NormFloat64())
		}
		rows = append(rows, v)
	}
	cat := NewMatrix(rows, dim)
	var likes [][]int
	for u := 0; u < 60; u++ {
		sign := float32(1 - 2*(u%2))
		var l []int
		for len(l) < 8 {
			if j := rng.IntN(papers); rows[j][0]*sign > 0.5 {
				l = append(l, j)
			}
		}
		likes = append(likes, l)
	}
	g, err := NewGlobal(cat, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := LearnConfig{Epochs: 30, Batch: 16, Negatives: 64, LR: 0.05, Spread: 1, MaxPairs: 1000, Seed: 1}
	if err := g.Learn(context.Background(), cat, likes, cfg); err != nil {
		t.Fatal(err)
	}
	ratio := func(tr *Transform) float64 {
		var rest float64
		for k := 1; k < dim; k++ {
			rest += math.Abs(float64(tr.A[k*dim+k]))
		}
		return math.Abs(float64(tr.A[0])) / (rest / (dim - 1))
	}
	if r0, r1 := ratio(g.Whitening), ratio(g.Learned); r1 < 2*r0 {
		t.Errorf("weight of dimension 0 over the others: %.2f before learning, %.2f after; want at least double", r0, r1)
	}
	if _, err := LearnTransform(context.Background(), cat, likes, []float32{0}, g.Whitening, cfg); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("mismatched center: got %v, want %s", err, paperpicks.EINVALID)
	}
}

func randomUnit(rng *rand.Rand, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		var s float64
		for k := range v {
			v[k] = float32(rng.NormFloat64())
			s += float64(v[k]) * float64(v[k])
		}
		for k := range v {
			v[k] /= float32(math.Sqrt(s))
		}
		out[i] = v
	}
	return out
}

// The daily run builds every user's profile from the running sums: one
// Build per user, O(dim). Multiply ns/op by the number of users.
func BenchmarkLearnedBuild(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	vecs := randomUnit(rng, 3, 512)
	s := sig(512, event{vecs[0], true, 1}, event{vecs[1], true, 1}, event{vecs[2], false, 1})
	g := &Global{CatalogMean: vecs[2]}
	b.ReportAllocs()
	for b.Loop() {
		Learned{Beta: 0.5}.Build(s, g)
	}
}

// Once per run: a day's 2,000 candidates through the 512×512 transform.
func BenchmarkTransformApply2000(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewMatrix(randomUnit(rng, 2000, 512), 512)
	t := &Transform{Dim: 512, A: make([]float32, 512*512)}
	for i := range t.A {
		t.A[i] = float32(rng.NormFloat64())
	}
	b.ReportAllocs()
	for b.Loop() {
		t.Apply(m)
	}
}
