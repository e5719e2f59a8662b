package rank

import (
	"hash/fnv"
	"math"
)

// IsNewItem applies the evaluation split of DESIGN.md ("Measuring quality"):
// a paper is new iff FNV-1a-64 of "<seed>:<paper id>" mod 100 < 20.
func IsNewItem(seed, paperID string) bool {
	h := fnv.New64a()
	h.Write([]byte(seed))
	h.Write([]byte{':'})
	h.Write([]byte(paperID))
	return h.Sum64()%100 < 20
}

// RecallAt is hits among the first k of ranked divided by the number of
// relevant items (not by min(k, relevant)), as DESIGN.md defines it.
func RecallAt(ranked []string, relevant map[string]bool, k int) float64 {
	if len(relevant) == 0 {
		return 0
	}
	hits := 0
	for i := 0; i < k && i < len(ranked); i++ {
		if relevant[ranked[i]] {
			hits++
		}
	}
	return float64(hits) / float64(len(relevant))
}

// NDCGAt is the normalized discounted cumulative gain of the first k of
// ranked with binary relevance: Σ 1/log2(rank+1) over hits, divided by the
// same sum for an ideal ranking of min(k, relevant) hits.
func NDCGAt(ranked []string, relevant map[string]bool, k int) float64 {
	var dcg, ideal float64
	for i := 0; i < k && i < len(ranked); i++ {
		if relevant[ranked[i]] {
			dcg += 1 / math.Log2(float64(i+2))
		}
	}
	for i := 0; i < k && i < len(relevant); i++ {
		ideal += 1 / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// MeanCI returns the mean of xs and the half-width of its 95% confidence
// interval (normal approximation, sample standard deviation).
func MeanCI(xs []float64) (mean, half float64) {
	n := float64(len(xs))
	if n == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if n < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, 1.96 * math.Sqrt(ss/(n-1)/n)
}

// PairedCI is MeanCI of the per-user differences a[i]-b[i]: the interval
// that must exclude zero for a to beat b.
func PairedCI(a, b []float64) (mean, half float64) {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return MeanCI(d)
}
