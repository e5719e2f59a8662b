//go:build !amd64

package index

const hasDot4 = false

func dot4(q, r0, r1, r2, r3 []float32) (float32, float32, float32, float32) {
	panic("index: dot4 is only available on amd64")
}

func dot4Codes(q []int16, c0, c1, c2, c3 []int8) (int32, int32, int32, int32) {
	panic("index: dot4Codes is only available on amd64")
}
