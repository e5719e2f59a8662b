package ingest

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
)

func TestClean(t *testing.T) {
	valid := func() paperpicks.Paper {
		return paperpicks.Paper{ID: "2401.12345", Title: "T", Abstract: "A"}
	}
	with := func(f func(p *paperpicks.Paper)) paperpicks.Paper {
		p := valid()
		f(&p)
		return p
	}
	tests := []struct {
		name string
		in   paperpicks.Paper
		want paperpicks.Paper // when err is ""
		err  string
	}{
		{
			name: "collapses whitespace and fills the URL",
			in: paperpicks.Paper{
				ID: " arXiv:2401.12345v2 ", Title: "\n  Multi-line\n    title\t", Abstract: " a\u00a0 b\r\nc ",
				Authors: []string{" Ada  Lovelace ", " ", "Alan\nTuring"}, Categories: []string{" cs.LG", "cs.LG ", "", "stat.ML"},
				Published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("EST", -5*3600)),
			},
			want: paperpicks.Paper{
				ID: "2401.12345", Title: "Multi-line title", Abstract: "a b c",
				Authors: []string{"Ada Lovelace", "Alan Turing"}, Categories: []string{"cs.LG", "stat.ML"},
				URL: "https://arxiv.org/abs/2401.12345", Published: time.Date(2024, 1, 2, 8, 4, 5, 0, time.UTC),
			},
		},
		{name: "id from URL", in: with(func(p *paperpicks.Paper) { p.ID = ""; p.URL = "https://arxiv.org/pdf/2401.12345v1" }),
			want: with(func(p *paperpicks.Paper) { p.URL = "https://arxiv.org/pdf/2401.12345v1" })},
		{name: "old-style id", in: with(func(p *paperpicks.Paper) { p.ID = "Hep-Th/9901001v2" }),
			want: with(func(p *paperpicks.Paper) { p.ID = "hep-th/9901001"; p.URL = "https://arxiv.org/abs/hep-th/9901001" })},
		{name: "other id keeps its URL", in: with(func(p *paperpicks.Paper) {
			p.ID = " doi-10.1145-3580305 "
			p.URL = "https://dl.acm.org/doi/10.1145/3580305"
		}),
			want: with(func(p *paperpicks.Paper) {
				p.ID = "doi-10.1145-3580305"
				p.URL = "https://dl.acm.org/doi/10.1145/3580305"
			})},
		{name: "other id without URL", in: with(func(p *paperpicks.Paper) { p.ID = "s2-12345" }),
			want: with(func(p *paperpicks.Paper) { p.ID = "s2-12345" })},
		{name: "missing id", in: with(func(p *paperpicks.Paper) { p.ID = " " }), err: "missing id"},
		{name: "missing id with non-arXiv URL", in: with(func(p *paperpicks.Paper) { p.ID = ""; p.URL = "https://example.org/p/1" }), err: "missing id"},
		{name: "missing title", in: with(func(p *paperpicks.Paper) { p.Title = " \n " }), err: "missing title"},
		{name: "missing abstract", in: with(func(p *paperpicks.Paper) { p.Abstract = "" }), err: "missing abstract"},
		{name: "id with slash", in: with(func(p *paperpicks.Paper) { p.ID = "doi/10.1/x" }), err: `invalid id "doi/10.1/x": contains '/', '?' or '#' and is no arXiv id`},
		{name: "id with query", in: with(func(p *paperpicks.Paper) { p.ID = "x?y" }), err: `invalid id "x?y": contains '/', '?' or '#' and is no arXiv id`},
		{name: "id with space", in: with(func(p *paperpicks.Paper) { p.ID = "a b" }), err: `invalid id "a b": contains whitespace`},
		{name: "long id", in: with(func(p *paperpicks.Paper) { p.ID = strings.Repeat("x", MaxID+1) }), err: "id longer than 100 characters"},
		{name: "id at the limit", in: with(func(p *paperpicks.Paper) { p.ID = strings.Repeat("é", MaxID) }),
			want: with(func(p *paperpicks.Paper) { p.ID = strings.Repeat("é", MaxID) })},
		{name: "bell in title", in: with(func(p *paperpicks.Paper) { p.Title = "a\ab" }), err: "control character U+0007 in title"},
		{name: "NUL in abstract", in: with(func(p *paperpicks.Paper) { p.Abstract = "a\x00" }), err: "control character U+0000 in abstract"},
		{name: "DEL in author", in: with(func(p *paperpicks.Paper) { p.Authors = []string{"ok", "a\x7f"} }), err: "control character U+007F in authors"},
		{name: "C1 in category", in: with(func(p *paperpicks.Paper) { p.Categories = []string{"cs\u0085LG"} }), err: "control character U+0085 in categories"},
		{name: "vertical tab", in: with(func(p *paperpicks.Paper) { p.Title = "a\vb" }), err: "control character U+000B in title"},
		{name: "escape in id", in: with(func(p *paperpicks.Paper) { p.ID = "x\x1b" }), err: "control character U+001B in id"},
		{name: "invalid UTF-8", in: with(func(p *paperpicks.Paper) { p.Abstract = "caf\xe9" }), err: "invalid UTF-8 in abstract"},
		{name: "title at the limit", in: with(func(p *paperpicks.Paper) { p.Title = strings.Repeat("ü", MaxTitle) }),
			want: with(func(p *paperpicks.Paper) {
				p.Title = strings.Repeat("ü", MaxTitle)
				p.URL = "https://arxiv.org/abs/2401.12345"
			})},
		{name: "title over the limit", in: with(func(p *paperpicks.Paper) { p.Title = strings.Repeat("ü", MaxTitle+1) }), err: "title longer than 1000 characters"},
		{name: "abstract over the limit", in: with(func(p *paperpicks.Paper) { p.Abstract = strings.Repeat("a", MaxAbstract+1) }), err: "abstract longer than 20000 characters"},
		{name: "too many authors", in: with(func(p *paperpicks.Paper) { p.Authors = make([]string, MaxAuthors+1); fill(p.Authors) }), err: "more than 2000 authors"},
		{name: "long author", in: with(func(p *paperpicks.Paper) { p.Authors = []string{strings.Repeat("a", MaxAuthorLen+1)} }), err: "author name longer than 300 characters"},
		{name: "too many categories", in: with(func(p *paperpicks.Paper) { p.Categories = make([]string, MaxCategories+1); fill(p.Categories) }), err: "more than 50 categories"},
		{name: "long category", in: with(func(p *paperpicks.Paper) { p.Categories = []string{strings.Repeat("c", MaxCategoryLen+1)} }), err: "category longer than 100 characters"},
		{name: "relative URL", in: with(func(p *paperpicks.Paper) { p.URL = "/abs/2401.12345" }), err: `invalid url "/abs/2401.12345": want an absolute http(s) URL`},
		{name: "javascript URL", in: with(func(p *paperpicks.Paper) { p.URL = "javascript:alert(1)" }), err: `invalid url "javascript:alert(1)": want an absolute http(s) URL`},
		{name: "URL with space", in: with(func(p *paperpicks.Paper) { p.URL = "https://a.org/x y" }), err: "invalid url: contains whitespace"},
		{name: "long URL", in: with(func(p *paperpicks.Paper) { p.URL = "https://a.org/" + strings.Repeat("x", MaxURL) }), err: "url longer than 2048 bytes"},
		{name: "negative upvotes", in: with(func(p *paperpicks.Paper) { p.Upvotes = -1 }), err: "negative upvotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.in
			err := Clean(&p)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Clean = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			want := tt.want
			if want.URL == "" {
				if _, ok := NormalizeID(want.ID); ok {
					want.URL = "https://arxiv.org/abs/" + want.ID
				}
			}
			if !reflect.DeepEqual(p, want) {
				t.Fatalf("got  %#v\nwant %#v", p, want)
			}
			again := p
			if err := Clean(&again); err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("not idempotent: %v\n%#v", err, again)
			}
		})
	}
}

// fill gives every element a distinct value, so dedupe cannot shrink s.
func fill(s []string) {
	for i := range s {
		s[i] = "c" + strconv.Itoa(i)
	}
}
