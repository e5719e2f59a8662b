package ingest

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paperpicks/paperpicks"
)

// Clean normalizes a paper in place and validates it; the returned error is
// the reason to skip it. It is idempotent: a paper it accepted passes again
// unchanged, so stored papers can be re-checked at any time.
//
// The rules, in order:
//   - Text fields must be valid UTF-8 without control characters (C0 other
//     than tab, newline and carriage return, DEL, C1): they break terminals,
//     e-mail digests and some embedders, and signal a broken source.
//   - Whitespace runs collapse to one space and ends are trimmed in title,
//     abstract, author names and categories (Atom wraps titles over lines).
//     Empty author names and categories are dropped; duplicate categories too.
//   - ID is required. An empty one is taken from an arXiv URL. arXiv ids are
//     canonicalized by NormalizeID; other ids are kept as given but must be
//     short, without whitespace, "/", "?" or "#", so they stay usable in URLs.
//   - Title and abstract are required: a paper is recommended by its text.
//   - URL, when empty for an arXiv id, becomes https://arxiv.org/abs/<id>;
//     a given one must be an absolute http(s) URL.
//   - Each field has a size limit (see the Max constants).
//   - Published is kept in UTC, upvotes must not be negative.
func Clean(p *paperpicks.Paper) error { return clean(p, false) }

// CleanUntitled is Clean for sources whose papers have no titles, such as
// bag-of-words research datasets (CiteULike): the abstract alone is the text.
func CleanUntitled(p *paperpicks.Paper) error { return clean(p, true) }

func clean(p *paperpicks.Paper, untitled bool) error {
	if err := checkText(p); err != nil {
		return err
	}
	p.Title = collapse(p.Title)
	p.Abstract = collapse(p.Abstract)
	p.Authors = collapseAll(p.Authors, false)
	p.Categories = collapseAll(p.Categories, true)
	p.URL = strings.TrimSpace(p.URL)

	if err := cleanID(p); err != nil {
		return err
	}
	switch {
	case p.Title == "" && !untitled:
		return fmt.Errorf("missing title")
	case p.Abstract == "":
		return fmt.Errorf("missing abstract")
	}
	if err := checkLimits(p); err != nil {
		return err
	}
	if p.URL == "" {
		if _, ok := NormalizeID(p.ID); ok {
			p.URL = "https://arxiv.org/abs/" + p.ID
		}
	} else if err := checkURL(p.URL); err != nil {
		return err
	}
	if p.Upvotes < 0 {
		return fmt.Errorf("negative upvotes")
	}
	if !p.Published.IsZero() {
		p.Published = p.Published.UTC()
	}
	return nil
}

// checkText rejects invalid UTF-8 and control characters in every text field.
func checkText(p *paperpicks.Paper) error {
	fields := []struct{ name, value string }{
		{"id", p.ID}, {"title", p.Title}, {"abstract", p.Abstract}, {"url", p.URL},
	}
	for _, f := range fields {
		if err := checkString(f.name, f.value); err != nil {
			return err
		}
	}
	for _, a := range p.Authors {
		if err := checkString("authors", a); err != nil {
			return err
		}
	}
	for _, c := range p.Categories {
		if err := checkString("categories", c); err != nil {
			return err
		}
	}
	return nil
}

func checkString(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8 in %s", field)
	}
	for _, r := range s {
		if isControl(r) {
			return fmt.Errorf("control character %U in %s", r, field)
		}
	}
	return nil
}

// isControl reports the control characters Clean rejects: C0 except tab,
// newline and carriage return, DEL, and C1.
func isControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// collapse turns every run of Unicode whitespace into one space and trims.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

func collapseAll(in []string, dedupe bool) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = collapse(s)
		if s == "" || dedupe && seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func cleanID(p *paperpicks.Paper) error {
	id := strings.TrimSpace(p.ID)
	if id == "" && p.URL != "" {
		if fromURL, ok := NormalizeID(p.URL); ok {
			id = fromURL
		}
	}
	if id == "" {
		return fmt.Errorf("missing id")
	}
	if canon, ok := NormalizeID(id); ok {
		p.ID = canon
		return nil
	}
	switch {
	case utf8.RuneCountInString(id) > MaxID:
		return fmt.Errorf("id longer than %d characters", MaxID)
	case strings.IndexFunc(id, unicode.IsSpace) >= 0:
		return fmt.Errorf("invalid id %q: contains whitespace", id)
	case strings.ContainsAny(id, "/?#"):
		return fmt.Errorf("invalid id %q: contains '/', '?' or '#' and is no arXiv id", id)
	}
	p.ID = id
	return nil
}

func checkLimits(p *paperpicks.Paper) error {
	switch {
	case utf8.RuneCountInString(p.Title) > MaxTitle:
		return fmt.Errorf("title longer than %d characters", MaxTitle)
	case utf8.RuneCountInString(p.Abstract) > MaxAbstract:
		return fmt.Errorf("abstract longer than %d characters", MaxAbstract)
	case len(p.Authors) > MaxAuthors:
		return fmt.Errorf("more than %d authors", MaxAuthors)
	case len(p.Categories) > MaxCategories:
		return fmt.Errorf("more than %d categories", MaxCategories)
	case len(p.URL) > MaxURL:
		return fmt.Errorf("url longer than %d bytes", MaxURL)
	}
	for _, a := range p.Authors {
		if utf8.RuneCountInString(a) > MaxAuthorLen {
			return fmt.Errorf("author name longer than %d characters", MaxAuthorLen)
		}
	}
	for _, c := range p.Categories {
		if utf8.RuneCountInString(c) > MaxCategoryLen {
			return fmt.Errorf("category longer than %d characters", MaxCategoryLen)
		}
	}
	return nil
}

func checkURL(s string) error {
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return fmt.Errorf("invalid url: contains whitespace")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid url %q: want an absolute http(s) URL", truncate(s, 100))
	}
	return nil
}

// truncate shortens s for a message, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
