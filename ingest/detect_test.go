package ingest

import (
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		peek  string
		file  string
		want  Format
		isErr bool
	}{
		{name: "atom fixture", file: "arxiv-api.atom", want: FormatAtom},
		{name: "rss fixture", file: "arxiv-rss.xml", want: FormatRSS},
		{name: "hf fixture", file: "hf-daily.json", want: FormatHFDaily},
		{name: "snapshot fixture", file: "arxiv-snapshot.jsonl", want: FormatSnapshot},
		{name: "jsonl fixture", file: "papers-mixed.jsonl", want: FormatJSONL},
		{name: "atom with comment and BOM", peek: "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x <rss> -->\n<feed xmlns=\"http://www.w3.org/2005/Atom\">", want: FormatAtom},
		{name: "prefixed atom root", peek: `<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">`, want: FormatAtom},
		{name: "rss with doctype", peek: "<!DOCTYPE rss>\n<rss version=\"2.0\">", want: FormatRSS},
		{name: "html error page", peek: "<!DOCTYPE html><html><body>503</body></html>", isErr: true},
		{name: "rdf feed", peek: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="x">`, isErr: true},
		{name: "array with spaces", peek: "\n  [ {\"paper\": {", want: FormatHFDaily},
		{name: "snapshot by versions", peek: `{"id":"0704.0001","versions":[{"version":"v1"}]}`, want: FormatSnapshot},
		{name: "snapshot by update_date", peek: `{"id":"0704.0001","update_date":"2008-11-13"}`, want: FormatSnapshot},
		{name: "snapshot key in truncated peek", peek: `{"id":"0704.0001","submitter":"Pavel`, want: FormatSnapshot},
		{name: "snapshot-like key nested is jsonl", peek: `{"id":"x","meta":{"versions":[]},"title":"t"}` + "\n", want: FormatJSONL},
		{name: "snapshot-like value is jsonl", peek: `{"id":"x","title":"versions"}`, want: FormatJSONL},
		{name: "key after nested value", peek: `{"authors":["a"],"update_date":"2008-11-13"}`, want: FormatSnapshot},
		{name: "jsonl", peek: `{"id":"2401.12345","title":"T"}`, want: FormatJSONL},
		{name: "csv", peek: "id,title\n", isErr: true},
		{name: "empty without name", peek: "", isErr: true},
		{name: "empty jsonl by name", peek: "", want: FormatJSONL, file: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peek := []byte(tt.peek)
			name := ""
			if tt.file != "" {
				peek = readFixture(t, tt.file)
				if len(peek) > 512 {
					peek = peek[:512]
				}
				name = tt.file
			}
			if tt.name == "empty jsonl by name" {
				name = "papers.jsonl"
			}
			got, err := Detect(peek, name)
			if tt.isErr {
				if err == nil || !paperpicks.IsCode(err, paperpicks.EINVALID) {
					t.Fatalf("Detect = %q, %v; want EINVALID", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDetectByName(t *testing.T) {
	tests := []struct {
		name string
		want Format
	}{
		{"https://export.arxiv.org/api/query?search_query=cat:cs.LG", FormatAtom},
		{"https://rss.arxiv.org/rss/cs.LG", FormatRSS},
		{"https://huggingface.co/api/daily_papers?date=2024-11-05", FormatHFDaily},
		{"/data/arxiv-metadata-oai-snapshot.json", FormatSnapshot},
		{"papers.JSONL", FormatJSONL},
		{"out.ndjson", FormatJSONL},
		{"https://example.org/feed.atom?x=1", FormatAtom},
		{"feed.rss", FormatRSS},
		{"papers.json", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A peek too short to show the XML root leaves the decision to the name.
			got, err := Detect([]byte("<?xml"), tt.name)
			if got != tt.want || (err != nil) != (tt.want == "") {
				t.Errorf("Detect(name %q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}
