//go:build !amd64

package embed

func axpy4(dst, s0, s1, s2, s3 []float32, a0, a1, a2, a3 float32) {
	axpy4Generic(dst, s0, s1, s2, s3, a0, a1, a2, a3)
}

func dot4f64(a, b0, b1, b2, b3 []float64) (s0, s1, s2, s3 float64) {
	return dot4f64Generic(a, b0, b1, b2, b3)
}
