package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestParseJSONL(t *testing.T) {
	items := parseAll(t, readFixture(t, "papers-mixed.jsonl"), FormatJSONL)
	papers := map[string]paperpicks.Paper{
		"line 1": {
			ID:         "2411.01234",
			Title:      "Sparse Mixture-of-Experts Routing with Learned Capacity for Efficient Long-Context Language Modeling",
			Abstract:   "We study token routing in sparse mixture-of-experts (MoE) transformers when the context grows beyond 100k tokens.",
			Authors:    []string{"Mei Lin", "Jonas Berger", "Priya Raman"},
			URL:        "https://arxiv.org/abs/2411.01234",
			Published:  date("2024-11-02T09:15:44Z"),
			Categories: []string{"cs.LG", "cs.CL"},
			Upvotes:    12,
		},
		"line 2": {
			ID:         "2401.12345",
			Title:      "Contrastive Pretraining for Protein Structure",
			Abstract:   "We pretrain a structure encoder with a contrastive objective over 200k predicted structures.",
			Authors:    []string{"Jia Wei", "Oliver Grant"},
			URL:        "https://arxiv.org/abs/2401.12345",
			Published:  date("2024-01-22T00:00:00Z"),
			Categories: []string{"q-bio.BM", "cs.LG"},
		},
		"line 10": {
			ID:         "openreview-r1Xk7wQ2pZ",
			Title:      "Diffusion Policies with Constrained Sampling",
			Abstract:   "We add a projection step to diffusion policies so that sampled actions satisfy hard safety constraints.",
			Authors:    []string{"Marta Kowalski"},
			URL:        "https://openreview.net/forum?id=r1Xk7wQ2pZ",
			Published:  date("2024-05-01T10:00:00Z"),
			Categories: []string{"cs.RO"},
		},
		"line 11": {
			ID:       "hep-th/9711200",
			Title:    "Large N limits of superconformal field theories",
			Abstract: "We revisit the large N limit of conformal field theories and their gravity duals.",
			Authors:  []string{"J. Rivera"},
			URL:      "http://arxiv.org/abs/hep-th/9711200v3",
		},
	}
	problems := []problem{
		{"line 4", "invalid JSON: unexpected end of input"},
		{"line 5", "missing title"},
		{"line 6", "missing abstract"},
		{"line 7", "control character U+0007 in title"},
		{"line 8", "title longer than 1000 characters"},
		{"line 9", "wrong type for authors: got string, want array of strings"},
		{"line 12", `invalid published "05/11/2024": want RFC 3339 or YYYY-MM-DD`},
	}
	checkItems(t, items, FormatJSONL, papers, problems)
}

func TestParseJSONLLines(t *testing.T) {
	good := `{"id":"2410.00001","title":"T","abstract":"A"}`
	long := `{"id":"2410.00002","title":"` + strings.Repeat("x", MaxLineBytes) + `","abstract":"A"}`
	tests := []struct {
		name     string
		in       string
		papers   []string // positions of papers
		problems []problem
	}{
		{"empty", "", nil, nil},
		{"blank lines only", "\n  \n\t\r\n", nil, nil},
		{"no final newline", good, []string{"line 1"}, nil},
		{"CRLF", good + "\r\n" + good + "\r\n", []string{"line 1", "line 2"}, nil},
		{"line over the limit is skipped", good + "\n" + long + "\n" + good + "\n",
			[]string{"line 1", "line 3"}, []problem{{"line 2", "line longer than 1048576 bytes"}}},
		{"long last line", good + "\n" + long, []string{"line 1"}, []problem{{"line 2", "line longer than 1048576 bytes"}}},
		{"not an object", "[1,2]\n\"x\"\n", nil, []problem{{"line 1", "not a JSON object: got array"}, {"line 2", "not a JSON object: got string"}}},
		{"invalid UTF-8", `{"id":"2410.00001","title":"T` + "\xff" + `","abstract":"A"}`, nil, []problem{{"line 1", "invalid UTF-8"}}},
		{"number as id", `{"id":2410.00001,"title":"T","abstract":"A"}`, nil, []problem{{"line 1", "wrong type for id: got number, want string"}}},
		{"unknown fields ignored", `{"id":"x1","title":"T","abstract":"A","extra":{"a":[1]}}`, []string{"line 1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var papers []string
			var problems []problem
			for _, it := range parseAll(t, []byte(tt.in), FormatJSONL) {
				if it.Problem != "" {
					problems = append(problems, problem{it.Pos, it.Problem})
				} else {
					papers = append(papers, it.Pos)
				}
			}
			if strings.Join(papers, ",") != strings.Join(tt.papers, ",") {
				t.Errorf("papers at %q, want %q", papers, tt.papers)
			}
			if len(problems) != len(tt.problems) {
				t.Fatalf("problems %q, want %q", problems, tt.problems)
			}
			for i := range problems {
				if problems[i] != tt.problems[i] {
					t.Errorf("problem %d = %q, want %q", i, problems[i], tt.problems[i])
				}
			}
		})
	}
}

// A multi-megabyte line must not be buffered whole: the reader keeps at most
// the limit, so memory stays flat on hostile input.
func TestParseJSONLHugeLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"id":"2410.00001","title":"`)
	b.Write(bytes.Repeat([]byte("y"), 8*MaxLineBytes))
	b.WriteString("\"}\n" + `{"id":"2410.00002","title":"T","abstract":"A"}` + "\n")
	items := parseAll(t, b.Bytes(), FormatJSONL)
	if len(items) != 2 || items[0].Problem == "" || items[1].Problem != "" || items[1].Paper.ID != "2410.00002" {
		t.Fatalf("items = %+v", items)
	}
}
