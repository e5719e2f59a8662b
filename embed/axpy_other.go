//go:build !amd64

package embed

func axpy4(dst, s0, s1, s2, s3 []float32, a0, a1, a2, a3 float32) {
	axpy4Generic(dst, s0, s1, s2, s3, a0, a1, a2, a3)
}

func dot4f64(a, b0, b1, b2, b3 []float64) (s0, s1, s2, s3 float64) {
	for i, x := range a {
		s0 += x * b0[i]
		s1 += x * b1[i]
		s2 += x * b2[i]
		s3 += x * b3[i]
	}
	return s0, s1, s2, s3
}
