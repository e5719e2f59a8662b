// Package embed turns paper text into unit vectors. Every vector records the
// space it lives in (the embedder's Name), and vectors of different spaces are
// never compared.
package embed

import (
	"context"
	"math"
)

// Embedder maps texts to L2-normalized vectors of length Dim, so the dot
// product of two vectors is their cosine similarity.
type Embedder interface {
	// Name identifies the vector space: provider, model or fitted state, and
	// version. Two embedders with the same Name give the same vectors.
	Name() string
	// Dim is the length of every vector Embed returns.
	Dim() int
	// Embed returns one vector per text, in order. A text that embeds to
	// nothing (no known words) gets the zero vector.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Normalize scales v to unit length in place and returns it; the zero
// vector stays zero.
func Normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}
