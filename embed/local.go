package embed

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/paperpicks/paperpicks"
)

// LocalConfig shapes the offline embedder: TF-IDF over words (sublinear tf,
// smoothed idf, L2) projected by a truncated SVD (latent semantic analysis)
// onto Dim dimensions. The defaults were chosen with `paperpicks eval` on
// CiteULike libraries; see README "Choosing the local embedder".
type LocalConfig struct {
	Dim        int     // output dimensions
	MaxVocab   int     // features kept, most frequent first
	MinDF      int     // a feature must occur in this many fit documents
	MaxDF      float64 // and in at most this fraction of them
	Bigrams    bool    // add adjacent word pairs as features
	MaxFitDocs int     // fit on at most this many documents (an evenly spaced sample)
	PowerIters int     // randomized SVD power iterations
	Seed       uint64
}

// DefaultLocalConfig is what `local` means without further configuration.
func DefaultLocalConfig() LocalConfig {
	return LocalConfig{Dim: 512, MaxVocab: 40000, MinDF: 2, MaxDF: 0.5, Bigrams: false, MaxFitDocs: 60000, PowerIters: 2, Seed: 1}
}

func (c LocalConfig) validate() error {
	switch {
	case c.Dim < 2 || c.Dim > 4096:
		return paperpicks.FieldErrorf("embedder.dim", "local embedder dimensions must be in [2, 4096], got %d", c.Dim)
	case c.MaxVocab < c.Dim:
		return paperpicks.FieldErrorf("embedder.max_vocab", "local embedder vocabulary (%d) must be at least its dimensions (%d)", c.MaxVocab, c.Dim)
	case c.MinDF < 1:
		return paperpicks.FieldErrorf("embedder.min_df", "min_df must be at least 1, got %d", c.MinDF)
	case c.MaxDF <= 0 || c.MaxDF > 1:
		return paperpicks.FieldErrorf("embedder.max_df", "max_df must be in (0, 1], got %g", c.MaxDF)
	case c.MaxFitDocs < 1:
		return paperpicks.FieldErrorf("embedder.max_fit_docs", "max_fit_docs must be positive, got %d", c.MaxFitDocs)
	}
	return nil
}

// Local is a fitted offline embedder. It is immutable after fitting, so it
// is safe for concurrent use; a refit makes a new Local with a new Name.
type Local struct {
	cfg     LocalConfig
	vocab   map[string]int32
	terms   []string  // feature index → term, for persistence
	idf     []float32 // per feature
	proj    []float32 // feature × Dim, row-major: the right singular vectors
	fitDocs int       // documents the fit saw, for the refit rule
	name    string
}

func (l *Local) Name() string { return l.name }
func (l *Local) Dim() int     { return l.cfg.Dim }

// FitDocs is how many documents the fit was computed from.
func (l *Local) FitDocs() int { return l.fitDocs }

// Config returns the configuration it was fitted with.
func (l *Local) Config() LocalConfig { return l.cfg }

// features returns the feature terms of a text: tokens, and adjacent pairs
// when bigrams are on.
func (c LocalConfig) features(text string) []string {
	toks := Tokenize(text)
	if !c.Bigrams || len(toks) < 2 {
		return toks
	}
	out := make([]string, 0, 2*len(toks)-1)
	out = append(out, toks...)
	for i := 1; i < len(toks); i++ {
		out = append(out, toks[i-1]+" "+toks[i])
	}
	return out
}

// FitLocal fits the embedder on a sample of texts. It is deterministic: the
// same texts and config give the same embedder and Name.
func FitLocal(ctx context.Context, texts []string, cfg LocalConfig) (*Local, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "cannot fit the local embedder on an empty catalog")
	}
	texts = sample(texts, cfg.MaxFitDocs)

	// Document frequencies decide the vocabulary.
	docFeats := make([][]string, len(texts))
	df := map[string]int{}
	for i, t := range texts {
		f := cfg.features(t)
		docFeats[i] = f
		seen := make(map[string]struct{}, len(f))
		for _, w := range f {
			if _, ok := seen[w]; !ok {
				seen[w] = struct{}{}
				df[w]++
			}
		}
	}
	n := len(texts)
	minDF := cfg.MinDF
	if n < 4*minDF { // a tiny catalog (the sample's 119 papers) keeps every word
		minDF = 1
	}
	maxDF := int(math.Max(1, math.Floor(cfg.MaxDF*float64(n))))
	if n < 1000 {
		// In a small, topical catalog (the sample is all machine learning)
		// the topic's own words are in most papers; dropping them would
		// leave searches for "neural networks" with nothing to match.
		maxDF = n
	}
	terms := make([]string, 0, len(df))
	for w, c := range df {
		if c >= minDF && c <= maxDF {
			terms = append(terms, w)
		}
	}
	sort.Slice(terms, func(a, b int) bool {
		if df[terms[a]] != df[terms[b]] {
			return df[terms[a]] > df[terms[b]]
		}
		return terms[a] < terms[b]
	})
	if len(terms) > cfg.MaxVocab {
		terms = terms[:cfg.MaxVocab]
	}
	sort.Strings(terms) // a stable order makes the persisted state canonical
	l := &Local{cfg: cfg, vocab: make(map[string]int32, len(terms)), terms: terms, idf: make([]float32, len(terms)), fitDocs: n}
	for i, w := range terms {
		l.vocab[w] = int32(i)
		l.idf[i] = float32(math.Log(float64(1+n)/float64(1+df[w])) + 1)
	}

	x := &sparse{rows: n, cols: len(terms), ptr: make([]int, n+1)}
	for i, f := range docFeats {
		idx, vals := l.tfidf(f)
		x.idx = append(x.idx, idx...)
		x.vals = append(x.vals, vals...)
		x.ptr[i+1] = len(x.idx)
	}
	v, _, err := truncatedSVD(ctx, x, cfg.Dim, 16, cfg.PowerIters, cfg.Seed)
	if err != nil {
		return nil, err
	}
	// Components beyond the fit's rank stay zero, so Dim never changes.
	l.proj = make([]float32, len(terms)*cfg.Dim)
	for t := range terms {
		copy(l.proj[t*cfg.Dim:t*cfg.Dim+v.cols], v.data[t*v.stride:])
	}
	l.name = l.stateName()
	return l, nil
}

// sample keeps at most max texts, evenly spaced so the fit sees the whole
// catalog's range rather than its oldest part.
func sample(texts []string, max int) []string {
	if len(texts) <= max {
		return texts
	}
	out := make([]string, max)
	for i := range out {
		out[i] = texts[int(int64(i)*int64(len(texts))/int64(max))]
	}
	return out
}

// tfidf returns the sorted feature indices of a document and their
// L2-normalized weights (1+ln tf)·idf. Unknown features are ignored.
func (l *Local) tfidf(feats []string) ([]int32, []float32) {
	// Sorting the ids and counting runs is cheaper than a map of counts
	// for the hundred or so distinct words of an abstract.
	ids := make([]int32, 0, len(feats))
	for _, w := range feats {
		if j, ok := l.vocab[w]; ok {
			ids = append(ids, j)
		}
	}
	slices.Sort(ids)
	idx := ids[:0] // distinct ids, written over the sorted ones
	var vals []float32
	var norm float64
	for i := 0; i < len(ids); {
		j, n := ids[i], 1
		for i+n < len(ids) && ids[i+n] == j {
			n++
		}
		i += n
		w := (1 + math.Log(float64(n))) * float64(l.idf[j])
		idx, vals = append(idx, j), append(vals, float32(w))
		norm += w * w
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range vals {
			vals[i] *= inv
		}
	}
	return idx, vals
}

// Embed projects each text's TF-IDF vector onto the fitted components,
// spreading the texts over the cores.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	dim := l.cfg.Dim
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*dim)
	row := func(j int32) []float32 { return l.proj[int(j)*dim : (int(j)+1)*dim] }
	parallelRows(len(texts), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			v := backing[i*dim : (i+1)*dim : (i+1)*dim]
			idx, vals := l.tfidf(l.cfg.features(texts[i]))
			addRows(v, row, idx, vals)
			out[i] = Normalize(v)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *Local) String() string {
	return fmt.Sprintf("%s (%d features, fitted on %d documents)", l.name, len(l.terms), l.fitDocs)
}
