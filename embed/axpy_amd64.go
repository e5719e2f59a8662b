package embed

import "golang.org/x/sys/cpu"

// hasAxpy4 says whether axpy4AVX2 may run: it needs AVX2 and FMA.
var hasAxpy4 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func axpy4AVX2(dst, s0, s1, s2, s3 *float32, a0, a1, a2, a3 float32, n int)

// axpy4 adds a0·s0 + a1·s1 + a2·s2 + a3·s3 to dst; the sources have at
// least len(dst) elements.
func axpy4(dst, s0, s1, s2, s3 []float32, a0, a1, a2, a3 float32) {
	n := len(dst) &^ 7
	if !hasAxpy4 || n == 0 {
		axpy4Generic(dst, s0, s1, s2, s3, a0, a1, a2, a3)
		return
	}
	_, _, _, _ = s0[n-1], s1[n-1], s2[n-1], s3[n-1]
	axpy4AVX2(&dst[0], &s0[0], &s1[0], &s2[0], &s3[0], a0, a1, a2, a3, n)
	if n < len(dst) {
		axpy4Generic(dst[n:], s0[n:], s1[n:], s2[n:], s3[n:], a0, a1, a2, a3)
	}
}

//go:noescape
func dot4f64AVX2(a, b0, b1, b2, b3 *float64, n int) (s0, s1, s2, s3 float64)

// dot4f64 returns the dot products of a with b0..b3, which have at least
// len(a) elements.
func dot4f64(a, b0, b1, b2, b3 []float64) (s0, s1, s2, s3 float64) {
	n := len(a) &^ 3
	if hasAxpy4 && n > 0 {
		_, _, _, _ = b0[n-1], b1[n-1], b2[n-1], b3[n-1]
		s0, s1, s2, s3 = dot4f64AVX2(&a[0], &b0[0], &b1[0], &b2[0], &b3[0], n)
	} else {
		n = 0
	}
	t0, t1, t2, t3 := dot4f64Generic(a[n:], b0[n:], b1[n:], b2[n:], b3[n:])
	return s0 + t0, s1 + t1, s2 + t2, s3 + t3
}
