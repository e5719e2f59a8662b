package index

import "golang.org/x/sys/cpu"

// hasDot4 says whether dot4AVX2 may run: it needs AVX2 and FMA.
var hasDot4 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dot4AVX2(q, r0, r1, r2, r3 *float32, n int) (s0, s1, s2, s3 float32)

func dot4(q, r0, r1, r2, r3 []float32) (float32, float32, float32, float32) {
	return dot4AVX2(&q[0], &r0[0], &r1[0], &r2[0], &r3[0], len(q))
}

//go:noescape
func dot4CodesAVX2(q *int16, c0, c1, c2, c3 *int8, n int) (s0, s1, s2, s3 int32)

func dot4Codes(q []int16, c0, c1, c2, c3 []int8) (int32, int32, int32, int32) {
	return dot4CodesAVX2(&q[0], &c0[0], &c1[0], &c2[0], &c3[0], len(q))
}
