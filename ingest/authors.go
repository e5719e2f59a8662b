package ingest

import "strings"

// splitAuthors splits a free-text author list as arXiv writes it:
// "A. Author, B. Author and C. Author", with optional affiliations in
// parentheses ("A. Author (MIT), B. Author"). Affiliations are dropped, and
// commas or "and" inside them do not split names.
func splitAuthors(s string) []string {
	var names []string
	var cur strings.Builder
	flush := func() {
		name := strings.Join(strings.Fields(cur.String()), " ")
		name = strings.TrimSpace(strings.TrimPrefix(name, "and "))
		if name != "" && name != "and" {
			names = append(names, name)
		}
		cur.Reset()
	}
	depth := 0
	for _, word := range tokenizeAuthors(s) {
		switch {
		case word == "(":
			depth++
		case word == ")":
			if depth > 0 {
				depth--
			}
		case depth > 0:
			// inside an affiliation
		case word == "," || word == ";" || strings.EqualFold(word, "and") || word == "&":
			flush()
		default:
			cur.WriteString(word)
			cur.WriteByte(' ')
		}
	}
	flush()
	return names
}

// tokenizeAuthors splits s into words and the separators ( ) , ; as tokens.
func tokenizeAuthors(s string) []string {
	var toks []string
	start := -1
	for i, r := range s {
		sep := r == '(' || r == ')' || r == ',' || r == ';'
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r'
		if sep || space {
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			if sep {
				toks = append(toks, string(r))
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}
