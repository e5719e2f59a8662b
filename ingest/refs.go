package ingest

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/paperpicks/paperpicks"
)

// Ref is one paper reference a user gave to seed their likes.
type Ref struct {
	Raw string // as given
	ID  string // normalized; empty when not recognizable
}

// MaxRefs bounds one import.
const MaxRefs = 5000

var (
	bibEntry = regexp.MustCompile(`(?s)@\w+\s*[{(]`)
	// eprint = {2401.12345}, url = "https://arxiv.org/abs/...", arxivid = ...
	bibField = regexp.MustCompile(`(?i)\b(eprint|arxivid|arxiv|url)\s*=\s*(?:\{([^{}]*)\}|"([^"]*)")`)
)

// ParseRefs reads paper references from a body in any of the shapes a
// user has at hand: a JSON array of strings, a JSON object {"ids": [...]},
// a BibTeX file (its eprint, arxivid and url fields), or plain text with
// one arXiv id or URL per line (blank lines and # comments ignored).
func ParseRefs(body []byte) ([]Ref, error) {
	trimmed := bytes.TrimSpace(body)
	var raws []string
	switch {
	case len(trimmed) == 0:
	case trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, refsError("a JSON array of strings", err)
		}
	case trimmed[0] == '{':
		var obj struct {
			IDs []string `json:"ids"`
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			return nil, refsError(`a JSON object {"ids": [...]}`, err)
		}
		raws = obj.IDs
	case bibEntry.Match(trimmed):
		for _, m := range bibField.FindAllSubmatch(trimmed, -1) {
			v := string(m[2]) + string(m[3])
			if strings.EqualFold(string(m[1]), "url") && !strings.Contains(strings.ToLower(v), "arxiv.org") {
				continue
			}
			raws = append(raws, v)
		}
	default:
		for _, line := range strings.Split(string(trimmed), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				raws = append(raws, line)
			}
		}
	}
	if len(raws) > MaxRefs {
		return nil, refsTooMany(len(raws))
	}
	seen := map[string]bool{}
	var out []Ref
	for _, r := range raws {
		id, ok := NormalizeID(r)
		if !ok {
			// Our own ids (the sample catalog's) are taken as they are.
			if strings.TrimSpace(r) != "" && !strings.ContainsAny(strings.TrimSpace(r), " /?#") {
				id = strings.TrimSpace(r)
			} else {
				id = ""
			}
		}
		key := id
		if key == "" {
			key = "raw:" + r
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Ref{Raw: r, ID: id})
	}
	return out, nil
}

func refsError(want string, err error) error {
	return paperpicks.FieldErrorf("body", "references must be %s: %v", want, err)
}

func refsTooMany(n int) error {
	return paperpicks.FieldErrorf("body", "too many references: %d (at most %d per import)", n, MaxRefs)
}
