package rank

import (
	"math/rand/v2"
	"time"
)

// EvalUser is one user's library in an evaluation dataset.
type EvalUser struct {
	ID    string   `json:"user"`
	Liked []string `json:"liked"`
}

// EvalSplit decides, per DESIGN.md "Measuring quality", which papers are
// new; the rest train the profiles.
type EvalSplit struct {
	Seed     string          // for the FNV rule
	NewItems map[string]bool // overrides the rule when not nil
}

// IsNew reports whether paper id is in the new (held-out) set.
func (s EvalSplit) IsNew(id string) bool {
	if s.NewItems != nil {
		return s.NewItems[id]
	}
	return IsNewItem(s.Seed, id)
}

// MinTrainLikes and MinTruthLikes select the users who are scored.
const (
	MinTrainLikes = 5
	MinTruthLikes = 1
	EvalTopN      = 50
)

// EvalCase is one scored user: the training likes (by index into the
// catalog) and the held-out truth (by paper id).
type EvalCase struct {
	User  string
	Train []string
	Truth map[string]bool
}

// Cases applies the split to users and keeps the scored ones, in input
// order. Likes of papers not in known are ignored.
func (s EvalSplit) Cases(users []EvalUser, known func(id string) bool) []EvalCase {
	var out []EvalCase
	for _, u := range users {
		c := EvalCase{User: u.ID, Truth: map[string]bool{}}
		seen := map[string]bool{}
		for _, id := range u.Liked {
			if seen[id] || !known(id) {
				continue
			}
			seen[id] = true
			if s.IsNew(id) {
				c.Truth[id] = true
			} else {
				c.Train = append(c.Train, id)
			}
		}
		if len(c.Train) >= MinTrainLikes && len(c.Truth) >= MinTruthLikes {
			out = append(out, c)
		}
	}
	return out
}

// EvalScores are one ranking method's per-user metrics, in case order, so
// two methods can be compared pair by pair.
type EvalScores struct {
	Method   string
	Recall20 []float64
	Recall50 []float64
	NDCG20   []float64
	Took     time.Duration
	Ranked   [][]string // top EvalTopN paper ids per user
}

// Summary is a metric's mean and 95% confidence half-width.
type Summary struct{ Mean, Half float64 }

func (e *EvalScores) Summaries() (r20, r50, n20 Summary) {
	r20.Mean, r20.Half = MeanCI(e.Recall20)
	r50.Mean, r50.Half = MeanCI(e.Recall50)
	n20.Mean, n20.Half = MeanCI(e.NDCG20)
	return
}

// Measure fills the metrics of ranked lists against the cases' truth.
func Measure(method string, cases []EvalCase, ranked [][]string, took time.Duration) *EvalScores {
	e := &EvalScores{Method: method, Took: took, Ranked: ranked}
	for i, c := range cases {
		e.Recall20 = append(e.Recall20, RecallAt(ranked[i], c.Truth, 20))
		e.Recall50 = append(e.Recall50, RecallAt(ranked[i], c.Truth, 50))
		e.NDCG20 = append(e.NDCG20, NDCGAt(ranked[i], c.Truth, 20))
	}
	return e
}

// RandomRanking is the floor every method must clear: each user's new
// papers in a seeded random order.
func RandomRanking(cases []EvalCase, newIDs []string, seed uint64) [][]string {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]string, len(cases))
	for i := range cases {
		perm := rng.Perm(len(newIDs))
		top := make([]string, 0, EvalTopN)
		for _, j := range perm[:min(EvalTopN, len(perm))] {
			top = append(top, newIDs[j])
		}
		out[i] = top
	}
	return out
}
