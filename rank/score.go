package rank

import "github.com/paperpicks/paperpicks/index"

// The scoring kernel lives in index, beside the vectors it streams; rank
// uses the same kernel for the daily run and the evaluation.
type (
	Matrix = index.Matrix
	Scored = index.Scored
)

// NewMatrix copies vecs (all of length dim) into one contiguous block.
func NewMatrix(vecs [][]float32, dim int) Matrix { return index.NewMatrix(vecs, dim) }
