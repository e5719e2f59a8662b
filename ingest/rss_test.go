package ingest

import (
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestParseRSS(t *testing.T) {
	items := parseAll(t, readFixture(t, "arxiv-rss.xml"), FormatRSS)
	announced := date("2024-11-05T05:00:00Z")
	papers := map[string]paperpicks.Paper{
		"item 1 (line 17)": {
			ID:    "2411.02118",
			Title: "Calibrated Uncertainty for Graph Neural Networks under Distribution Shift",
			Abstract: "Graph neural networks are overconfident on nodes far from the training distribution. " +
				"We propose a post-hoc calibration that uses <i>structural</i> distance and reduces expected calibration error by half on five benchmarks.",
			Authors:    []string{"Hana Kobayashi", "Luca Moretti", "Samuel O. Adeyemi"},
			URL:        "https://arxiv.org/abs/2411.02118",
			Published:  announced,
			Categories: []string{"cs.LG", "stat.ML"},
		},
		"item 2 (line 30)": { // a cross-list, with "and" between authors
			ID:    "2411.01877",
			Title: "Physics-Informed Neural Operators for Turbulent Channel Flow",
			Abstract: "We train neural operators with a residual penalty from the Navier-Stokes equations and forecast " +
				"turbulent channel flow at Reynolds numbers unseen in training.",
			Authors:    []string{"Elif Demir", "Marcus Webb"},
			URL:        "https://arxiv.org/abs/2411.01877",
			Published:  announced,
			Categories: []string{"physics.flu-dyn", "cs.LG"},
		},
		"item 3 (line 43)": { // a replacement is kept: it updates the paper
			ID:         "2411.01234",
			Title:      "Sparse Mixture-of-Experts Routing with Learned Capacity for Efficient Long-Context Language Modeling",
			Abstract:   "We study token routing in sparse mixture-of-experts (MoE) transformers when the context grows beyond 100k tokens.",
			Authors:    []string{"Mei Lin", "Jonas Berger", "Priya Raman"},
			URL:        "https://arxiv.org/abs/2411.01234",
			Published:  announced,
			Categories: []string{"cs.LG", "cs.CL"},
		},
	}
	problems := []problem{{"item 4 (line 56)", "missing abstract"}}
	checkItems(t, items, FormatRSS, papers, problems)
	if last := items[len(items)-1]; last.Paper.ID != "2411.02503" || len(last.Paper.Authors) != 4 {
		t.Errorf("item 5 = %+v", last)
	}
}

func TestParseRSSFallbacks(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
`
	tests := []struct {
		name    string
		item    string
		want    paperpicks.Paper
		problem string
	}{
		{
			"id from the link when there is no guid",
			`<item><title>T</title><link>https://arxiv.org/abs/2411.00011</link><description>Plain abstract.</description><pubDate>Wed, 06 Nov 2024 00:00:00 GMT</pubDate></item>`,
			paperpicks.Paper{ID: "2411.00011", Title: "T", Abstract: "Plain abstract.", URL: "https://arxiv.org/abs/2411.00011", Published: date("2024-11-06T00:00:00Z")},
			"",
		},
		{
			"id from the description head",
			`<item><title>T</title><description>arXiv:2411.00012v3 Announce Type: replace Abstract: Text.</description><dc:creator>A. B. and C. D.</dc:creator></item>`,
			paperpicks.Paper{ID: "2411.00012", Title: "T", Abstract: "Text.", Authors: []string{"A. B.", "C. D."}, URL: "https://arxiv.org/abs/2411.00012"},
			"",
		},
		{"no id at all", `<item><title>T</title><description>Text.</description></item>`, paperpicks.Paper{}, "missing id"},
		{"bad date", `<item><guid>oai:arXiv.org:2411.00013v1</guid><title>T</title><description>x</description><pubDate>soon</pubDate></item>`,
			paperpicks.Paper{}, `invalid pubDate "soon": want RFC 1123`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := parseAll(t, []byte(head+tt.item+"\n</channel></rss>"), FormatRSS)
			if len(items) != 1 {
				t.Fatalf("items = %+v", items)
			}
			if items[0].Problem != tt.problem {
				t.Fatalf("problem = %q, want %q", items[0].Problem, tt.problem)
			}
			if tt.problem == "" {
				checkItems(t, items, FormatRSS, map[string]paperpicks.Paper{"item 1 (line 3)": tt.want}, nil)
			}
		})
	}
}

func TestParseRSSBroken(t *testing.T) {
	data := readFixture(t, "arxiv-rss.xml")
	cut := strings.Index(string(data), "<title>Scaling Laws")
	items := parseAll(t, data[:cut+20], FormatRSS)
	if len(items) != 5 {
		t.Fatalf("%d items, want 4 and one problem", len(items))
	}
	if last := items[4]; last.Pos != "line 70" || last.Problem != "broken XML in item 5, stopped reading: unexpected EOF" {
		t.Errorf("last = %q %q", last.Pos, last.Problem)
	}
}

func TestStripAnnounce(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arXiv:2401.12345v1 Announce Type: new \nAbstract: We show.", "We show."},
		{"arXiv:2401.12345v2 Announce Type: replace-cross\nAbstract:We show.", "We show."},
		{"  arXiv:hep-th/9901001v1 Announce Type: cross Abstract: X", "X"},
		{"Abstract: not the head", "Abstract: not the head"},
		{"We show.", "We show."},
	}
	for _, tt := range tests {
		if got := stripAnnounce(tt.in); got != tt.want {
			t.Errorf("stripAnnounce(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
