package embed

import "golang.org/x/sys/cpu"

// hasAxpy4 says whether axpy4AVX2 may run: it needs AVX2 and FMA.
var hasAxpy4 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func axpy4AVX2(dst, s0, s1, s2, s3 *float32, a0, a1, a2, a3 float32, n int)

// axpy4 adds a0·s0 + a1·s1 + a2·s2 + a3·s3 to dst; all have len(dst)
// elements, a multiple of 8.
func axpy4(dst, s0, s1, s2, s3 []float32, a0, a1, a2, a3 float32) {
	if !hasAxpy4 {
		axpy4Generic(dst, s0, s1, s2, s3, a0, a1, a2, a3)
		return
	}
	axpy4AVX2(&dst[0], &s0[0], &s1[0], &s2[0], &s3[0], a0, a1, a2, a3, len(dst))
}
