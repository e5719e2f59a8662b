package embed

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// The fit's dense algebra on tall matrices (documents × components) goes
// through dot4f64, an AVX2 kernel: gonum's float64 routines run on SSE2
// without fused multiply-adds, and the Gram matrices and products below
// were most of the fit's time.

// gramRows is how many rows of the tall factors one pass transposes: the
// 528 columns of 256 rows (1 MiB) stay in cache while every pair of
// columns is multiplied.
const gramRows = 256

// crossGram returns aᵀb for two matrices of n rows (b may be a), summing
// the products of row blocks computed on all cores. With sym (a = b) only
// the upper triangle is computed, and mirrored.
func crossGram(a, b *mat.Dense, sym bool) *mat.Dense {
	n, la := a.Dims()
	_, lb := b.Dims()
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			g := make([]float64, la*lb)
			ta := make([]float64, la*gramRows)
			tb := ta
			if !sym {
				tb = make([]float64, lb*gramRows)
			}
			for r0 := lo; r0 < hi; r0 += gramRows {
				m := min(gramRows, hi-r0)
				transposeRows(a, r0, m, ta)
				if !sym {
					transposeRows(b, r0, m, tb)
				}
				for i := 0; i < la; i++ {
					ai := ta[i*m : (i+1)*m]
					gi := g[i*lb : (i+1)*lb]
					j := 0
					if sym {
						j = i
					}
					for ; j+4 <= lb; j += 4 {
						s0, s1, s2, s3 := dot4f64(ai, tb[j*m:], tb[(j+1)*m:], tb[(j+2)*m:], tb[(j+3)*m:])
						gi[j] += s0
						gi[j+1] += s1
						gi[j+2] += s2
						gi[j+3] += s3
					}
					for ; j < lb; j++ {
						s, _, _, _ := dot4f64(ai, tb[j*m:], tb[j*m:], tb[j*m:], tb[j*m:])
						gi[j] += s
					}
				}
			}
			parts[w] = g
		})
	}
	wg.Wait()
	g := make([]float64, la*lb)
	for _, p := range parts {
		for i, x := range p {
			g[i] += x
		}
	}
	if sym {
		for i := 0; i < la; i++ {
			for j := 0; j < i; j++ {
				g[i*lb+j] = g[j*lb+i]
			}
		}
	}
	return mat.NewDense(la, lb, g)
}

// transposeRows writes rows r0..r0+m of a, transposed, into dst: column
// c of those rows is dst[c*m : (c+1)*m].
func transposeRows(a *mat.Dense, r0, m int, dst []float64) {
	raw := a.RawMatrix()
	for r := 0; r < m; r++ {
		row := raw.Data[(r0+r)*raw.Stride : (r0+r)*raw.Stride+raw.Cols]
		for c, x := range row {
			dst[c*m+r] = x
		}
	}
}

// mulRows returns a·b for a tall a (n×l) and a small b (l×k), parallel
// over blocks of rows; b is used transposed so that every product is a
// contiguous dot product. With upper (b upper triangular) each column's
// dot product stops at the diagonal.
func mulRows(a, b *mat.Dense, upper bool) *mat.Dense {
	n, l := a.Dims()
	_, k := b.Dims()
	bt := mat.DenseCopyOf(b.T())
	btr := bt.RawMatrix()
	out := mat.NewDense(n, k, nil)
	ar, or := a.RawMatrix(), out.RawMatrix()
	// Blocks of 64 columns of b (270 KB at l = 528) stay in cache for a
	// block of 32 rows.
	const rowBlock, colBlock = 32, 64
	parallelRows(n, func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += rowBlock {
			r1 := min(r0+rowBlock, hi)
			for c0 := 0; c0 < k; c0 += colBlock {
				c1 := min(c0+colBlock, k)
				for r := r0; r < r1; r++ {
					ai := ar.Data[r*ar.Stride : r*ar.Stride+l]
					oi := or.Data[r*or.Stride : r*or.Stride+k]
					col := func(c int) []float64 { return btr.Data[c*btr.Stride : c*btr.Stride+l] }
					c := c0
					for ; c+4 <= c1; c += 4 {
						m := l
						if upper {
							m = min(l, c+4)
						}
						oi[c], oi[c+1], oi[c+2], oi[c+3] = dot4f64(ai[:m], col(c), col(c+1), col(c+2), col(c+3))
					}
					for ; c < c1; c++ {
						m := l
						if upper {
							m = min(l, c+1)
						}
						oi[c], _, _, _ = dot4f64(ai[:m], col(c), col(c), col(c), col(c))
					}
				}
			}
		}
	})
	return out
}

// dot4f64Generic is dot4f64's portable form.
func dot4f64Generic(a, b0, b1, b2, b3 []float64) (s0, s1, s2, s3 float64) {
	for i, x := range a {
		s0 += x * b0[i]
		s1 += x * b1[i]
		s2 += x * b2[i]
		s3 += x * b3[i]
	}
	return s0, s1, s2, s3
}
