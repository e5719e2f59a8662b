package embed

import (
	"strings"
	"unicode"
)

// Tokenize lower-cases text and splits it into word tokens: runs of letters
// and digits, without stop words, one-character tokens and pure numbers
// (years and counts say little about a paper's topic). A light plural
// stemmer folds "networks" into "network" so the two share a feature.
func Tokenize(text string) []string {
	var tokens []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		start = -1
		if tok, ok := normalizeToken(w); ok {
			tokens = append(tokens, tok)
		}
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return tokens
}

func normalizeToken(w string) (string, bool) {
	w = strings.ToLower(w)
	if len(w) < 2 || len(w) > 40 {
		return "", false
	}
	digits := true
	for _, r := range w {
		if !unicode.IsDigit(r) {
			digits = false
			break
		}
	}
	if digits {
		return "", false
	}
	if _, stop := stopWords[w]; stop {
		return "", false
	}
	return stemPlural(w), true
}

// stemPlural removes English plural endings only; full stemmers (Porter)
// conflate too much for technical vocabulary ("graphs"→"graph" is wanted,
// "generative"→"gener" is not).
func stemPlural(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:n-3] + "y"
	case n > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	}
	return w
}

// stopWords are function words that occur in every abstract.
var stopWords = func() map[string]struct{} {
	words := strings.Fields(`a about above across after again against all almost alone along already also
	although always am among an and another any anyone anything are around as at be became because become
	becomes been before being below between both but by can cannot could did do does doing done down during
	each either else enough etc even ever every few for from further had has have having he her here hers
	herself him himself his how however i if in into is it its itself just least less let like made make
	many may me might more most much must my myself neither no nor not now of off often on once one only or
	other others otherwise our ours ourselves out over own per perhaps rather same several she should show
	shown shows since so some such than that the their theirs them themselves then there these they this
	those though through thus to too under until up upon us use used uses using very via was we well were
	what when where whether which while who whom whose why will with within without would yet you your
	yours yourself yourselves paper propose proposed approach method methods new novel present results
	result based also able`)
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}()
