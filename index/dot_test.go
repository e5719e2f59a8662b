package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

func TestScoreBlockMatchesBlas(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{16, 48, 512, 520, 7} {
		for _, rows := range []int{1, 3, 4, 9, 256} {
			t.Run(fmt.Sprintf("dim%d/rows%d", dim, rows), func(t *testing.T) {
				q := make([]float32, dim)
				block := make([]float32, rows*dim)
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				for i := range block {
					block[i] = float32(rng.NormFloat64())
				}
				got := make([]float32, rows)
				scoreBlock(q, block, dim, got)
				for j := range got {
					want := blas32.Dot(blas32.Vector{N: dim, Inc: 1, Data: q}, blas32.Vector{N: dim, Inc: 1, Data: block[j*dim : (j+1)*dim]})
					if math.Abs(float64(got[j]-want)) > 1e-3*math.Max(1, math.Abs(float64(want))) {
						t.Fatalf("row %d: %g, blas says %g", j, got[j], want)
					}
				}
			})
		}
	}
}

func BenchmarkScoreBlock(b *testing.B) {
	q := make([]float32, 512)
	block := make([]float32, 256*512)
	for i := range block {
		block[i] = float32(i%7) / 7
	}
	for i := range q {
		q[i] = float32(i%5) / 5
	}
	scores := make([]float32, 256)
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			scoreBlock(q, block, 512, scores)
		}
		b.ReportMetric(float64(256*512*b.N)/b.Elapsed().Seconds()/1e9, "GMadd/s")
	})
	b.Run("gonum", func(b *testing.B) {
		pv := blas32.Vector{N: 512, Inc: 1, Data: q}
		for b.Loop() {
			for j := range scores {
				scores[j] = blas32.Dot(pv, blas32.Vector{N: 512, Inc: 1, Data: block[j*512 : (j+1)*512]})
			}
		}
		b.ReportMetric(float64(256*512*b.N)/b.Elapsed().Seconds()/1e9, "GMadd/s")
	})
}
