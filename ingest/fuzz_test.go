package ingest

import (
	"bytes"
	"context"
	"reflect"
	"testing"
)

// small are one-record inputs per format: short seeds let the fuzzer reach
// the record-level paths far faster than mutating a whole fixture.
var small = map[Format][]string{
	FormatJSONL: {
		`{"id":"arXiv:2401.12345v2","title":"T\tt","abstract":"A","authors":["a"],"published":"2024-01-02","categories":["c"],"upvotes":1}`,
		`{"id":"x","url":"https://a.org/x","title":"T","abstract":"A","published":"2024-01-02T03:04:05+01:00"}` + "\n\n{}",
	},
	FormatSnapshot: {
		`{"id":"hep-th/9901001","authors":"A (B, C) and D","title":"T","abstract":"A","categories":"x y","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],"update_date":"2008-11-13"}`,
		`{"id":"0704.0001","authors_parsed":[["L","F","S"],["X"]],"title":"T","abstract":"A","versions":[],"update_date":"2008-11-13"}`,
	},
	FormatAtom: {
		`<feed><entry><id>http://arxiv.org/abs/2401.12345v1</id><title>T</title><summary>A</summary><published>2024-01-02T03:04:05Z</published><author><name>N</name></author><link rel="alternate" href="http://x.org/a"/><category term="c"/></entry></feed>`,
		`<feed><entry><id>http://arxiv.org/api/errors#x</id><summary>bad</summary></entry><entry><id>oai:arXiv.org:2401.12345v1</id><summary>arXiv:2401.12345v1 Announce Type: new Abstract: A</summary><title>T</title><creator>A and B</creator></entry></feed>`,
	},
	FormatRSS: {
		`<rss><channel><item><title>T</title><link>https://arxiv.org/abs/2401.12345</link><description>arXiv:2401.12345v1 Announce Type: new Abstract: A</description><guid>oai:arXiv.org:2401.12345v1</guid><category>c</category><pubDate>Mon, 15 Jan 2024 00:00:00 -0500</pubDate><creator>A, B and C</creator></item></channel></rss>`,
	},
	FormatHFDaily: {
		`[{"paper":{"id":"2401.12345","title":"T","summary":"A","authors":[{"name":"N"}],"publishedAt":"2024-01-02T03:04:05.000Z","upvotes":3},"title":"T"},7,{"paper":{"id":"x"}}]`,
	},
}

// seed adds a fixture, a few truncations of it and the small inputs of its
// format to the corpus.
func seed(f *testing.F, format Format, name string) {
	f.Helper()
	for _, s := range small[format] {
		f.Add([]byte(s))
	}
	data := readFixture(f, name)
	f.Add(data)
	for _, frac := range []int{2, 3, 5, 7} {
		f.Add(data[:len(data)/frac])
	}
	f.Add(data[:len(data)-len(data)/9])
	f.Add([]byte{})
}

// fuzzParse checks Parse's contract on any input: no panic, no error from
// an in-memory reader, and every item either a problem or a paper that
// Clean accepts again unchanged, with the required fields set.
func fuzzParse(f *testing.F, format Format, fixture string) {
	seed(f, format, fixture)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Parse(context.Background(), bytes.NewReader(data), format, func(it Item) error {
			if it.Pos == "" {
				t.Errorf("item without position: %+v", it)
			}
			if it.Problem != "" {
				return nil
			}
			p := it.Paper
			if p.ID == "" || p.Title == "" || p.Abstract == "" || p.Source != string(format) {
				t.Errorf("%s: incomplete paper %#v", it.Pos, p)
			}
			again := p
			if err := Clean(&again); err != nil {
				t.Errorf("%s: Clean rejects a parsed paper: %v\n%#v", it.Pos, err, p)
			} else if !reflect.DeepEqual(again, p) {
				t.Errorf("%s: Clean is not idempotent:\n%#v\n%#v", it.Pos, p, again)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
	})
}

func FuzzParseJSONL(f *testing.F)    { fuzzParse(f, FormatJSONL, "papers-mixed.jsonl") }
func FuzzParseAtom(f *testing.F)     { fuzzParse(f, FormatAtom, "arxiv-api.atom") }
func FuzzParseRSS(f *testing.F)      { fuzzParse(f, FormatRSS, "arxiv-rss.xml") }
func FuzzParseHFDaily(f *testing.F)  { fuzzParse(f, FormatHFDaily, "hf-daily.json") }
func FuzzParseSnapshot(f *testing.F) { fuzzParse(f, FormatSnapshot, "arxiv-snapshot.jsonl") }

func FuzzNormalizeID(f *testing.F) {
	for _, s := range []string{
		"2401.12345v2", "arXiv:hep-th/9901001", "https://arxiv.org/pdf/2401.12345v3.pdf",
		"oai:arXiv.org:2411.02118v1", "math.GT/0309136", "http://export.arxiv.org/abs/cond-mat/0702661v2?x#y",
		"0704.0001", "1234.12345", "", " v1 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := NormalizeID(s)
		if !ok {
			return
		}
		if again, ok2 := NormalizeID(id); !ok2 || again != id {
			t.Fatalf("NormalizeID(%q) = %q, but NormalizeID(%q) = %q, %v", s, id, id, again, ok2)
		}
		// A canonical id is safe to put in a URL path and to store as is.
		p := Item{}.Paper
		p.ID, p.Title, p.Abstract = id, "T", "A"
		if err := Clean(&p); err != nil || p.ID != id || p.URL != "https://arxiv.org/abs/"+id {
			t.Fatalf("Clean of canonical id %q: %v, %#v", id, err, p)
		}
	})
}
