// Package display formats catalog text for people: the reader's pages,
// the feeds and the email digest show papers the same way.
package display

import (
	"net/url"
	"strings"
	"unicode"
)

// Authors names up to four authors, then "et al.".
func Authors(names []string) string {
	if len(names) > 4 {
		return strings.Join(names[:3], ", ") + " et al."
	}
	return strings.Join(names, ", ")
}

// OneLine collapses whitespace, line breaks included.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// Snippet is the start of text with whitespace collapsed, cut at a word
// boundary near n runes. It reads no further than it needs.
func Snippet(text string, n int) string {
	var b strings.Builder
	b.Grow(min(len(text), 4*n))
	runes, space := 0, false
	for _, r := range text {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			if runes++; runes > n {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if runes++; runes > n {
			break
		}
		b.WriteRune(r)
	}
	out := b.String()
	if runes <= n {
		return out
	}
	if i := strings.LastIndexByte(out, ' '); i > len(out)/2 {
		out = out[:i]
	}
	return strings.TrimRight(out, " ,.;:") + "…"
}

// SafeURL keeps http and https addresses: a catalog URL is input, and a
// javascript: or data: link has no place on a page or in a message.
func SafeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
