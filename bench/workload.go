// Package bench measures paperpicks against the performance budgets of
// DESIGN.md on a deterministic synthetic workload: it generates papers and
// users, runs the real code paths (ingest, index, HTTP, daily run,
// feedback) in a temporary data directory, and compares each figure with
// its budget and, where one exists, with a chromem-go peer measured in the
// same run.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// Workload is a synthetic catalog with topical structure, so the embedder
// and the profiles have something real to find: every paper is written
// mostly from the words of one or two of many topics, and every user likes
// papers of one or two topics.
type Workload struct {
	Papers     []paperpicks.Paper // the catalog before the day
	Candidates []paperpicks.Paper // the day's new papers
	Users      []UserLikes
	topicOf    []int // topic of each catalog paper
}

// UserLikes is one synthetic user's library.
type UserLikes struct {
	ID    string
	Likes []string
}

const (
	topics       = 300
	topicWords   = 120
	vocabSize    = 24000
	titleWords   = 11
	minAbstract  = 120
	maxAbstract  = 260
	fillerChance = 0.35 // share of words drawn from the whole vocabulary
)

// Generate makes a workload of papers, candidates and users from seed.
// Text lengths follow real abstracts (120–260 words; titles ~11 words);
// users have 5 to 50 likes.
func Generate(papers, candidates, users int, seed uint64) *Workload {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	vocab := makeVocab(rng)
	zipf := rand.NewZipf(rng, 1.1, 8, uint64(len(vocab)-1))
	topicVocab := make([][]string, topics)
	for t := range topicVocab {
		for i := 0; i < topicWords; i++ {
			topicVocab[t] = append(topicVocab[t], vocab[rng.IntN(len(vocab))])
		}
	}
	w := &Workload{}
	byTopic := make([][]int, topics)
	paper := func(id string, t int) paperpicks.Paper {
		t2 := (t + 1 + rng.IntN(topics-1)) % topics
		words := func(n int) string {
			var b strings.Builder
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteByte(' ')
				}
				switch r := rng.Float64(); {
				case r < fillerChance:
					b.WriteString(vocab[zipf.Uint64()])
				case r < 0.85:
					b.WriteString(topicVocab[t][rng.IntN(topicWords)])
				default:
					b.WriteString(topicVocab[t2][rng.IntN(topicWords)])
				}
			}
			return b.String()
		}
		return paperpicks.Paper{
			ID: id, Title: words(titleWords), Abstract: words(minAbstract + rng.IntN(maxAbstract-minAbstract)),
			Authors: []string{"A. Author", "B. Author"}, Categories: []string{fmt.Sprintf("syn.T%d", t)},
			Published: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		}
	}
	topicFor := func() int { return int(math.Min(float64(topics-1), math.Abs(rng.NormFloat64())*topics/2.5)) }
	for i := 0; i < papers; i++ {
		t := topicFor()
		w.Papers = append(w.Papers, paper(fmt.Sprintf("syn-%07d", i), t))
		w.topicOf = append(w.topicOf, t)
		byTopic[t] = append(byTopic[t], i)
	}
	for i := 0; i < candidates; i++ {
		w.Candidates = append(w.Candidates, paper(fmt.Sprintf("new-%06d", i), topicFor()))
	}
	for u := 0; u < users; u++ {
		n := 5 + rng.IntN(46)
		interests := []int{topicFor(), topicFor()}
		seen := map[int]bool{}
		var likes []string
		for tries := 0; len(likes) < n && tries < 10*n; tries++ {
			pool := byTopic[interests[rng.IntN(2)]]
			if len(pool) == 0 || rng.Float64() < 0.1 {
				pool = nil // an occasional like outside the user's topics
			}
			var i int
			if pool == nil {
				i = rng.IntN(papers)
			} else {
				i = pool[rng.IntN(len(pool))]
			}
			if !seen[i] {
				seen[i] = true
				likes = append(likes, w.Papers[i].ID)
			}
		}
		w.Users = append(w.Users, UserLikes{ID: fmt.Sprintf("bench-u%07d", u), Likes: likes})
	}
	return w
}

// makeVocab builds pronounceable words from syllables, so the tokenizer
// treats them like real ones.
func makeVocab(rng *rand.Rand) []string {
	syl := strings.Fields("ba be bi bo bu da de di do du fa fe fi fo ga ge gi go ka ke ki ko ku la le li lo lu " +
		"ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo " +
		"za ze zi zo tra tre tri pro pre gra gre neu ral ion ent ous ive ing ter ver")
	seen := map[string]bool{}
	var out []string
	for len(out) < vocabSize {
		n := 2 + rng.IntN(3)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(syl[rng.IntN(len(syl))])
		}
		w := b.String()
		if !seen[w] && !strings.HasSuffix(w, "s") {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// JSONL encodes papers in the catalog's own format.
func JSONL(papers []paperpicks.Paper) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range papers {
		enc.Encode(&papers[i])
	}
	return b.Bytes()
}
