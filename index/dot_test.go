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

func TestScoreCodesMatchesDequantized(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{32, 512, 520, 7} {
		for _, rows := range []int{1, 4, 9} {
			t.Run(fmt.Sprintf("dim%d/rows%d", dim, rows), func(t *testing.T) {
				q := make([]float32, dim)
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				q16 := make([]int16, dim)
				qscale := quantizeQuery(q, q16)
				codes := make([]int8, rows*dim)
				vecs := make([][]float32, rows)
				scales := make([]float32, rows)
				for j := range vecs {
					vecs[j] = make([]float32, dim)
					for i := range vecs[j] {
						vecs[j][i] = float32(rng.NormFloat64())
					}
					scales[j] = quantize(vecs[j], codes[j*dim:(j+1)*dim])
				}
				var qn float64
				for _, x := range q {
					qn += float64(x) * float64(x)
				}
				got := make([]int32, rows)
				scoreCodes(q16, codes, dim, got)
				for j := range got {
					// The kernel is exact on the codes...
					var exact int64
					var orig float64
					for i := range q {
						exact += int64(q16[i]) * int64(codes[j*dim+i])
						orig += float64(q[i]) * float64(vecs[j][i])
						if d := math.Abs(float64(vecs[j][i]) - float64(scales[j])*float64(codes[j*dim+i])); d > float64(scales[j])/2*1.0001 {
							t.Fatalf("component %d of row %d is off by %g, more than half a step %g", i, j, d, scales[j]/2)
						}
					}
					if int64(got[j]) != exact {
						t.Fatalf("row %d: %d, want %d", j, got[j], exact)
					}
					// ...and, scaled, close to the float32 dot product: each
					// component is off by at most half a step.
					approx := float64(got[j]) * float64(qscale) * float64(scales[j])
					if bound := float64(scales[j]) / 2 * math.Sqrt(qn) * math.Sqrt(float64(dim)) * 1.01; math.Abs(approx-orig) > bound {
						t.Fatalf("row %d: dequantized %g, float32 %g, beyond the bound %g", j, approx, orig, bound)
					}
				}
			})
		}
	}
	if s := quantize(make([]float32, 16), make([]int8, 16)); s != 0 {
		t.Errorf("scale of a zero vector = %g, want 0", s)
	}
}

func TestScoreCodesExtremes(t *testing.T) {
	// The largest magnitudes a query of each dimension may take must not
	// overflow, in the kernel or the portable path.
	for _, dim := range []int{32, 512, 1024, 3072, codesKernelMax, codesKernelMax + 32} {
		r := int16(queryRange(dim))
		q := make([]int16, dim)
		codes := make([]int8, 4*dim)
		for i := range q {
			q[i] = -r
		}
		for i := range codes {
			codes[i] = -127
			if i >= 2*dim {
				codes[i] = 127
			}
		}
		got := make([]int32, 4)
		scoreCodes(q, codes, dim, got)
		want := int64(dim) * 127 * int64(r)
		if int64(got[0]) != want || int64(got[1]) != want || int64(got[2]) != -want || int64(got[3]) != -want {
			t.Errorf("dim %d: got %v, want ±%d", dim, got, want)
		}
	}
}

// scoreCodes gives every row the portable dot product, whatever the
// number of rows the four-row kernel leaves over.
func TestScoreCodesEveryRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	const dim = 64
	q := make([]int16, dim)
	for i := range q {
		q[i] = int16(rng.IntN(2001) - 1000)
	}
	for rows := 1; rows <= 9; rows++ {
		codes := make([]int8, rows*dim)
		for i := range codes {
			codes[i] = int8(rng.IntN(255) - 127)
		}
		got := make([]int32, rows)
		scoreCodes(q, codes, dim, got)
		for r := range got {
			if want := dotCodes(q, codes[r*dim:(r+1)*dim]); got[r] != want {
				t.Errorf("%d rows: row %d scored %d, want %d", rows, r, got[r], want)
			}
		}
	}
}
