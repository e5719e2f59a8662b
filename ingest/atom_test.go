package ingest

import (
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestParseAtom(t *testing.T) {
	items := parseAll(t, readFixture(t, "arxiv-api.atom"), FormatAtom)
	papers := map[string]paperpicks.Paper{
		"entry 1 (line 10)": {
			ID:    "2411.01234",
			Title: "Sparse Mixture-of-Experts Routing with Learned Capacity for Efficient Long-Context Language Modeling",
			Abstract: "We study token routing in sparse mixture-of-experts (MoE) transformers when the context grows beyond 100k tokens. " +
				"Fixed expert capacity drops tokens unevenly across positions; we propose a learned capacity controller that " +
				"adapts per layer and per batch. On three long-context benchmarks the method matches dense baselines at 38% of the compute.",
			Authors:    []string{"Mei Lin", "Jonas Berger", "Priya Raman"},
			URL:        "https://arxiv.org/abs/2411.01234",
			Published:  date("2024-11-02T09:15:44Z"),
			Categories: []string{"cs.LG", "cs.CL", "I.2.7"},
		},
		"entry 2 (line 40)": {
			ID:    "cond-mat/0702661",
			Title: "Learning Phase Boundaries of Frustrated Magnets from Monte Carlo Snapshots",
			Abstract: "We train a small neural network on spin configurations of the J1-J2 model and read off the transition line " +
				"from its confidence. The learned boundary agrees with finite-size scaling within error bars.",
			Authors:    []string{"R. Okafor", "S. Lindqvist"},
			URL:        "https://arxiv.org/abs/cond-mat/0702661",
			Published:  date("2007-02-27T21:02:02Z"),
			Categories: []string{"cond-mat.stat-mech"},
		},
	}
	problems := []problem{{"entry 3 (line 63)", "missing abstract"}}
	checkItems(t, items, FormatAtom, papers, problems)
	if len(items) != 4 || items[3].Paper.ID != "2410.21876" || items[3].Problem != "" {
		t.Errorf("entry 4 = %+v", items[len(items)-1])
	}
}

func TestParseAtomProblems(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
`
	const good = `<entry><id>http://arxiv.org/abs/2411.00001v1</id><published>2024-11-01T00:00:00Z</published>
<title>T</title><summary>A</summary><author><name>N. N.</name></author></entry>
`
	tests := []struct {
		name     string
		in       string
		papers   int
		problems []problem
	}{
		{
			"API error entry", // from the arXiv API user manual, section 3.4
			`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title xmlns="http://www.w3.org/2005/Atom">ArXiv Query: search_query=&amp;id_list=1234.12345</title>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry xmlns="http://www.w3.org/2005/Atom">
    <id xmlns="http://www.w3.org/2005/Atom">http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title xmlns="http://www.w3.org/2005/Atom">Error</title>
    <summary xmlns="http://www.w3.org/2005/Atom">incorrect id format for 1234.12345</summary>
    <updated xmlns="http://www.w3.org/2005/Atom">2007-10-12T00:00:00-04:00</updated>
    <link xmlns="http://www.w3.org/2005/Atom" href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345" rel="alternate" type="text/html"/>
    <author xmlns="http://www.w3.org/2005/Atom"><name xmlns="http://www.w3.org/2005/Atom">arXiv api core</name></author>
  </entry>
</feed>`,
			0, []problem{{"entry 1 (line 5)", "arXiv API error: incorrect id format for 1234.12345"}},
		},
		{
			"truncated keeps earlier entries",
			head + good + "<entry><id>http://arxiv.org/abs/2411.00002v1</id>\n<title>Cut",
			1, []problem{{"line 6", "broken XML in entry 2, stopped reading: unexpected EOF"}},
		},
		{
			"mismatched tag between entries",
			head + good + "<bogus>\n</feed>",
			1, []problem{{"line 6", "broken XML, stopped reading: element <bogus> closed by </feed>"}},
		},
		{"empty feed", head + "</feed>", 0, nil},
		{"rate limit text", "Rate exceeded.", 0, []problem{{"line 1", "not an Atom feed: no root element"}}},
		{"RSS given as Atom", `<rss version="2.0"><channel/></rss>`, 0, []problem{{"line 1", "not an Atom feed: the root element is <rss>"}}},
		{"bad date", head + `<entry><id>2411.00003</id><published>yesterday</published><title>T</title><summary>A</summary></entry></feed>`,
			0, []problem{{"entry 1 (line 3)", `invalid published "yesterday": want RFC 3339`}}},
		{"control character reference", head + "<entry><id>2411.00004</id><title>T&#7;</title><summary>A</summary></entry></feed>",
			0, []problem{{"line 3", "broken XML in entry 1, stopped reading: illegal character code U+0007"}}},
		{"unsupported charset", `<?xml version="1.0" encoding="Shift_JIS"?><feed/>`, 0,
			[]problem{{"line 1", `broken XML, stopped reading: opening charset "Shift_JIS": unsupported encoding "Shift_JIS"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var problems []problem
			papers := 0
			for _, it := range parseAll(t, []byte(tt.in), FormatAtom) {
				if it.Problem != "" {
					problems = append(problems, problem{it.Pos, it.Problem})
				} else {
					papers++
				}
			}
			if papers != tt.papers {
				t.Errorf("%d papers, want %d", papers, tt.papers)
			}
			if strings.Join(flat(problems), "|") != strings.Join(flat(tt.problems), "|") {
				t.Errorf("problems\n got %q\nwant %q", problems, tt.problems)
			}
		})
	}
}

// TestParseAtomRSSFeed reads rss.arxiv.org/atom/<cat>, which uses Atom with
// RSS-style ids, summaries and dc:creator.
func TestParseAtomRSSFeed(t *testing.T) {
	in := `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.AI</id>
  <entry>
    <id>oai:arXiv.org:2411.03001v1</id>
    <title>Planning with World Models</title>
    <link href="https://arxiv.org/abs/2411.03001" rel="alternate" type="text/html"/>
    <summary>arXiv:2411.03001v1 Announce Type: new
Abstract: We plan with learned world models.</summary>
    <category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
    <published>2024-11-06T00:00:00-05:00</published>
    <arxiv:announce_type>new</arxiv:announce_type>
    <dc:creator>Ada Byron, Alan Church</dc:creator>
  </entry>
</feed>`
	items := parseAll(t, []byte(in), FormatAtom)
	want := paperpicks.Paper{
		ID: "2411.03001", Title: "Planning with World Models", Abstract: "We plan with learned world models.",
		Authors: []string{"Ada Byron", "Alan Church"}, URL: "https://arxiv.org/abs/2411.03001",
		Published: date("2024-11-06T05:00:00Z"), Categories: []string{"cs.AI"},
	}
	checkItems(t, items, FormatAtom, map[string]paperpicks.Paper{"entry 1 (line 4)": want}, nil)
}

func flat(ps []problem) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.pos+": "+p.reason)
	}
	return s
}
