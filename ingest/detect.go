package ingest

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"

	"github.com/paperpicks/paperpicks"
)

// Detect guesses the format of a source from its first bytes (peek, which
// may end mid-record) and, when those do not tell, its name (a file name or
// URL). Content wins over the name, as files get renamed.
//
// XML whose root is <feed> is arxiv-atom and <rss> is arxiv-rss; a JSON
// array is hf-daily; JSON objects are arxiv-snapshot when the first has
// "update_date", "versions", "submitter" or "authors_parsed" (the snapshot's
// own fields), else our jsonl. It returns a *paperpicks.Error EINVALID if it cannot tell.
func Detect(peek []byte, name string) (Format, error) {
	b := bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 {
		switch b[0] {
		case '<':
			root := xmlRoot(b)
			switch root {
			case "feed":
				return FormatAtom, nil
			case "rss":
				return FormatRSS, nil
			case "":
				// Too little of the document to see its root: try the name.
			default:
				return "", detectError(name, "XML with root <"+root+">, want <feed> (arXiv API) or <rss> (arXiv RSS)")
			}
		case '[':
			return FormatHFDaily, nil
		case '{':
			if hasSnapshotKey(b) {
				return FormatSnapshot, nil
			}
			return FormatJSONL, nil
		default:
			return "", detectError(name, "neither XML nor JSON")
		}
	}
	if f, ok := formatFromName(name); ok {
		return f, nil
	}
	if len(b) == 0 {
		return "", detectError(name, "empty input")
	}
	return "", detectError(name, "the start of the XML does not show its root element")
}

func detectError(name, why string) error {
	if name == "" {
		name = "input"
	}
	return paperpicks.FieldErrorf("format", "cannot detect the format of %s: %s; name the format", truncate(name, 200), why)
}

// xmlRoot returns the local name of the first element in b, skipping the
// XML declaration, comments, processing instructions and the doctype; "" if
// b ends first.
func xmlRoot(b []byte) string {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 || i+1 >= len(b) {
			return ""
		}
		b = b[i+1:]
		var end string
		switch {
		case bytes.HasPrefix(b, []byte("!--")):
			end = "-->"
		case b[0] == '?':
			end = "?>"
		case b[0] == '!':
			end = ">"
		default:
			n := bytes.IndexAny(b, " \t\r\n/>")
			if n < 0 {
				return ""
			}
			name := string(b[:n])
			if _, local, ok := strings.Cut(name, ":"); ok {
				name = local
			}
			return name
		}
		j := bytes.Index(b, []byte(end))
		if j < 0 {
			return ""
		}
		b = b[j+len(end):]
	}
}

// hasSnapshotKey reports whether the first JSON object in b has one of the
// top-level keys only the arXiv snapshot uses. It reads tokens, so a peek
// that ends inside the object still counts the keys seen so far.
func hasSnapshotKey(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	depth := 0
	expectKey := false
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if t, ok := tok.(json.Delim); ok {
			switch t {
			case '{', '[':
				depth++
				expectKey = depth == 1
			case '}', ']':
				depth--
				if depth == 0 {
					return false
				}
				expectKey = depth == 1
			}
			continue
		}
		if depth != 1 {
			continue
		}
		if expectKey {
			switch tok {
			case "update_date", "versions", "submitter", "authors_parsed":
				return true
			}
		}
		expectKey = !expectKey
	}
}

// formatFromName recognizes the sources' usual names and URLs.
func formatFromName(name string) (Format, bool) {
	n := strings.ToLower(name)
	switch {
	case n == "":
		return "", false
	case strings.Contains(n, "arxiv.org/api/"):
		return FormatAtom, true
	case strings.Contains(n, "rss.arxiv.org/rss/") || strings.Contains(n, "arxiv.org/rss/"):
		return FormatRSS, true
	case strings.Contains(n, "huggingface.co/api/daily_papers"):
		return FormatHFDaily, true
	case strings.Contains(n, "arxiv-metadata-oai-snapshot"):
		return FormatSnapshot, true
	}
	if i := strings.IndexAny(n, "?#"); i >= 0 && strings.Contains(n, "://") {
		n = n[:i]
	}
	switch path.Ext(n) {
	case ".jsonl", ".ndjson":
		return FormatJSONL, true
	case ".atom":
		return FormatAtom, true
	case ".rss":
		return FormatRSS, true
	}
	return "", false
}
