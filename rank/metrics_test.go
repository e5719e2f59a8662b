package rank

import (
	"math"
	"testing"
)

func TestRecallAndNDCGByHand(t *testing.T) {
	rel := map[string]bool{"a": true, "c": true, "x": true}
	ranked := []string{"a", "b", "c", "d"}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"recall@1", RecallAt(ranked, rel, 1), 1.0 / 3},
		{"recall@3", RecallAt(ranked, rel, 3), 2.0 / 3},
		{"recall@50 beyond list", RecallAt(ranked, rel, 50), 2.0 / 3},
		// DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal for 2 slots = 1 + 1/log2(3).
		{"ndcg@2", NDCGAt(ranked, rel, 2), 1 / (1 + 1/math.Log2(3))},
		{"ndcg@4", NDCGAt(ranked, rel, 4), 1.5 / (1 + 1/math.Log2(3) + 0.5)},
		{"ndcg no hits", NDCGAt([]string{"q"}, rel, 20), 0},
		{"recall empty truth", RecallAt(ranked, map[string]bool{}, 20), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-12 {
				t.Errorf("got %.6f, want %.6f", tt.got, tt.want)
			}
		})
	}
}

func TestMeanCI(t *testing.T) {
	m, h := MeanCI([]float64{1, 2, 3, 4})
	// sd = sqrt(5/3); half = 1.96*sd/2
	if m != 2.5 || math.Abs(h-1.96*math.Sqrt(5.0/3)/2) > 1e-12 {
		t.Errorf("MeanCI = %v ± %v", m, h)
	}
	m, h = PairedCI([]float64{3, 3, 3}, []float64{1, 2, 3})
	if m != 1 || math.Abs(h-1.96*1/math.Sqrt(3)) > 1e-12 {
		t.Errorf("PairedCI = %v ± %v", m, h)
	}
}

func TestIsNewItemSplit(t *testing.T) {
	n := 0
	for i := 0; i < 10000; i++ {
		if IsNewItem("paperpicks", "citeulike-t-"+itoa(i)) {
			n++
		}
	}
	if n < 1800 || n > 2200 {
		t.Errorf("new items = %d of 10000, want about 2000", n)
	}
	// FNV-1a-64 mod 100 computed by hand in Python for these ids.
	for id, want := range map[string]bool{"x": false, "citeulike-t-0": false, "citeulike-t-2": true, "citeulike-t-3": false} {
		if got := IsNewItem("paperpicks", id); got != want {
			t.Errorf("IsNewItem(%q) = %v, want %v", id, got, want)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
