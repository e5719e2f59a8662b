package embed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// corpus makes n synthetic documents over a few topics.
func corpus(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 3))
	var vocab []string
	for i := 0; i < 3000; i++ {
		vocab = append(vocab, fmt.Sprintf("w%dx%d", i%97, i))
	}
	out := make([]string, n)
	for i := range out {
		t := rng.IntN(20)
		var b strings.Builder
		for j := 0; j < 150; j++ {
			if rng.Float64() < 0.7 {
				b.WriteString(vocab[t*100+rng.IntN(100)])
			} else {
				b.WriteString(vocab[rng.IntN(len(vocab))])
			}
			b.WriteByte(' ')
		}
		out[i] = b.String()
	}
	return out
}

func TestLocalIsDeterministicNormalizedAndPersistent(t *testing.T) {
	ctx := context.Background()
	docs := corpus(400, 1)
	cfg := DefaultLocalConfig()
	cfg.Dim = 32
	a, err := FitLocal(ctx, docs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FitLocal(ctx, docs, cfg)
	if a.Name() != b.Name() {
		t.Errorf("two fits of the same texts: %s and %s", a.Name(), b.Name())
	}
	va, _ := a.Embed(ctx, docs[:5])
	vb, _ := b.Embed(ctx, docs[:5])
	for i := range va {
		var n float64
		for j := range va[i] {
			n += float64(va[i][j]) * float64(va[i][j])
			if va[i][j] != vb[i][j] {
				t.Fatalf("vector %d differs between identical fits", i)
			}
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d has norm² %f", i, n)
		}
	}
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadLocal(state)
	if err != nil || c.Name() != a.Name() || c.Dim() != 32 || c.FitDocs() != 400 {
		t.Fatalf("LoadLocal = %v, %v", c, err)
	}
	vc, _ := c.Embed(ctx, docs[:5])
	for i := range va {
		for j := range va[i] {
			if va[i][j] != vc[i][j] {
				t.Fatal("the reloaded embedder embeds differently")
			}
		}
	}
	if _, err := LoadLocal(state[:len(state)/2]); err == nil {
		t.Error("a truncated state loaded")
	}
	// Documents of one topic are closer to each other than to others.
	other := corpus(2, 99)
	v, _ := a.Embed(ctx, []string{"", other[0]})
	for _, x := range v[0] {
		if x != 0 {
			t.Fatal("an empty text did not embed to the zero vector")
		}
	}
	refit, _ := FitLocal(ctx, docs[:200], cfg)
	if refit.Name() == a.Name() {
		t.Error("a fit on other texts has the same name")
	}
	if _, err := FitLocal(ctx, nil, cfg); err == nil {
		t.Error("fitting nothing succeeded")
	}
}

func TestTokenize(t *testing.T) {
	got := strings.Join(Tokenize("Graph Neural Networks, the 2024 GNNs: classes & bias!"), " ")
	if got != "graph neural network gnn class bia" { // a crude stemmer, but a consistent one
		t.Errorf("Tokenize = %q", got)
	}
}

func BenchmarkFitLocal(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		docs := corpus(n, 1)
		cfg := DefaultLocalConfig()
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := FitLocal(context.Background(), docs, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEmbedLocal(b *testing.B) {
	docs := corpus(2000, 1)
	l, _ := FitLocal(context.Background(), docs, DefaultLocalConfig())
	b.ResetTimer()
	for b.Loop() {
		l.Embed(context.Background(), docs[:100])
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "docs/s")
}
