package ingest

import (
	"net/url"
	"strings"
)

// arxivHosts are the hosts whose /abs/ and /pdf/ links name an arXiv paper.
var arxivHosts = map[string]bool{
	"arxiv.org": true, "www.arxiv.org": true, "export.arxiv.org": true,
}

// NormalizeID canonicalizes an arXiv identifier so the same paper from any
// source lands on one catalog row. It accepts a bare id, "arXiv:" or
// "oai:arXiv.org:" prefixes (the RSS guid), and abs/pdf links on arxiv.org,
// www.arxiv.org and export.arxiv.org (with or without scheme, ".pdf", query
// or fragment); it drops the version ("v2") and surrounding whitespace.
//
// New-style ids are YYMM.NNNN (2007–2014) or YYMM.NNNNN (2015 on). Old-style
// ids are archive/YYMMNNN; their archive is lower-cased and a subject class
// ("math.GT/0309136") is dropped, as arXiv itself does, since it is not part
// of the identity ("math/0309136").
//
// It returns (id, true) for a recognizable arXiv id, else (trimmed input,
// false).
func NormalizeID(s string) (string, bool) {
	trimmed := strings.TrimSpace(s)
	c := trimmed
	if rest, ok := cutPrefixFold(c, "oai:arxiv.org:"); ok {
		c = rest
	} else if rest, ok := cutPrefixFold(c, "arxiv:"); ok {
		c = rest
	} else if strings.Contains(strings.ToLower(c), "arxiv.org/") {
		path, ok := arxivURLPath(c)
		if !ok {
			return trimmed, false
		}
		c = path
	}
	c = strings.TrimSpace(c)
	if id, ok := canonicalID(c); ok {
		return id, true
	}
	return trimmed, false
}

// arxivURLPath returns the id part of an arXiv abs or pdf link.
func arxivURLPath(s string) (string, bool) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return "", false
	}
	if !arxivHosts[strings.ToLower(u.Host)] {
		return "", false
	}
	p := u.Path
	switch {
	case strings.HasPrefix(p, "/abs/"):
		p = p[len("/abs/"):]
	case strings.HasPrefix(p, "/pdf/"):
		p = strings.TrimSuffix(p[len("/pdf/"):], ".pdf")
	default:
		return "", false
	}
	return strings.TrimSuffix(p, "/"), true
}

// canonicalID checks s against both id schemes after dropping the version.
func canonicalID(s string) (string, bool) {
	s = stripVersion(s)
	if isNewStyle(s) {
		return s, true
	}
	archive, number, ok := strings.Cut(s, "/")
	if !ok || !isDigits(number, 7) || !validMonth(number[2:4]) {
		return "", false
	}
	archive, _, _ = strings.Cut(archive, ".") // subject class, e.g. math.GT
	archive = strings.ToLower(archive)
	if !isArchive(archive) {
		return "", false
	}
	return archive + "/" + number, true
}

// stripVersion drops a trailing "v" followed by digits.
func stripVersion(s string) string {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i < len(s) && i > 0 && (s[i-1] == 'v' || s[i-1] == 'V') {
		return s[:i-1]
	}
	return s
}

// isNewStyle reports whether s is YYMM.NNNN (2007–2014) or YYMM.NNNNN (2015–).
func isNewStyle(s string) bool {
	yymm, num, ok := strings.Cut(s, ".")
	if !ok || !isDigits(yymm, 4) || !validMonth(yymm[2:]) {
		return false
	}
	yy := int(yymm[0]-'0')*10 + int(yymm[1]-'0')
	switch {
	case isDigits(num, 4):
		return yy >= 7 && yy <= 14
	case isDigits(num, 5):
		return yy >= 15
	}
	return false
}

// isArchive accepts archive names such as "hep-th", "cond-mat", "math".
func isArchive(a string) bool {
	if a == "" || len(a) > 20 || a[0] == '-' || a[len(a)-1] == '-' {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

func validMonth(mm string) bool {
	return len(mm) == 2 && (mm[0] == '0' && mm[1] >= '1' && mm[1] <= '9' || mm[0] == '1' && mm[1] >= '0' && mm[1] <= '2')
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
