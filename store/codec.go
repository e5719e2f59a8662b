package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/paperpicks/paperpicks"
)

// EncodeVector writes a vector as little-endian float32s, the layout both
// backends store in a blob.
func EncodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// DecodeVector reads a vector written by EncodeVector into dst (reused when
// its capacity allows).
func DecodeVector(b []byte, dst []float32) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector blob of %d bytes is not a float32 array", len(b))
	}
	n := len(b) / 4
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// EncodeList stores a string list as a JSON array (never null).
func EncodeList(xs []string) string {
	if xs == nil {
		xs = []string{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

// DecodeList reads a list written by EncodeList; empty becomes nil.
func DecodeList(s string) ([]string, error) {
	var xs []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	if len(xs) == 0 {
		return nil, nil
	}
	return xs, nil
}

// SameMetadata reports whether two papers agree on every stored field
// except the bookkeeping times, to tell "updated" from "unchanged".
func SameMetadata(a, b *paperpicks.Paper) bool {
	return a.Title == b.Title && a.Abstract == b.Abstract && a.URL == b.URL &&
		Micros(a.Published) == Micros(b.Published) && a.Upvotes == b.Upvotes && a.Source == b.Source &&
		EncodeList(a.Authors) == EncodeList(b.Authors) && EncodeList(a.Categories) == EncodeList(b.Categories)
}

// Micros converts a time to UTC microseconds, the precision both backends
// keep; the zero time is 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
