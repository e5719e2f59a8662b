package ingest

import (
	"reflect"
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestParseSnapshot(t *testing.T) {
	items := parseAll(t, readFixture(t, "arxiv-snapshot.jsonl"), FormatSnapshot)
	papers := map[string]paperpicks.Paper{
		"line 1": {
			ID:    "0705.1234",
			Title: "Next-to-leading order corrections to diphoton production at hadron colliders",
			Abstract: "We compute the next-to-leading order QCD corrections to the production of photon pairs at the Tevatron and the LHC, " +
				"including the gluon fusion channel. The corrections raise the cross section by up to 40% at small pair mass.",
			Authors:    []string{"P. Ivanov", "M. Müller", "C. -H. Lee"}, // from authors_parsed, not the LaTeX string
			URL:        "https://arxiv.org/abs/0705.1234",
			Published:  date("2007-05-09T14:02:11Z"), // v1, not v2
			Categories: []string{"hep-ph", "hep-ex"},
		},
		"line 2": {
			ID:         "math/0406220",
			Title:      "On the rigidity of hyperbolic Dehn fillings",
			Abstract:   "We show that all but finitely many Dehn fillings of a cusped hyperbolic 3-manifold are locally rigid.",
			Authors:    []string{"Robert Hale Jr"},
			URL:        "https://arxiv.org/abs/math/0406220",
			Published:  date("2004-06-10T18:44:02Z"),
			Categories: []string{"math.GT", "math.DG"},
		},
		"line 6": {
			ID:         "hep-th/9901001",
			Title:      "Boundary states in open string field theory",
			Abstract:   "We construct boundary states in cubic open string field theory and relate them to D-brane tensions.",
			Authors:    []string{"K. Tanaka", "L. Rossi", "J. Park"}, // split from the string, affiliations dropped
			URL:        "https://arxiv.org/abs/hep-th/9901001",
			Published:  date("2009-10-31T00:00:00Z"), // no versions: update_date
			Categories: []string{"hep-th"},
		},
	}
	problems := []problem{
		{"line 4", "invalid JSON: unexpected end of input"},
		{"line 5", "missing abstract"},
	}
	checkItems(t, items, FormatSnapshot, papers, problems)
}

func TestSplitAuthors(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"A. Author", []string{"A. Author"}},
		{"A. Author, B. Author and C. Author", []string{"A. Author", "B. Author", "C. Author"}},
		{"A. Author and B. Author", []string{"A. Author", "B. Author"}},
		{"A. Author (MIT, Cambridge and Boston), B. Author (CERN)", []string{"A. Author", "B. Author"}},
		{"H1 Collaboration: C. Adloff, V. Andreev,\n  B. Andrieu", []string{"H1 Collaboration: C. Adloff", "V. Andreev", "B. Andrieu"}},
		{"Alexander Sandy, Andrea Anderson", []string{"Alexander Sandy", "Andrea Anderson"}},
		{" , and ,", nil},
		{"A. Author (unclosed, B. Author", []string{"A. Author"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := splitAuthors(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitAuthors(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsedAuthors(t *testing.T) {
	got := parsedAuthors([][]string{{"Balázs", "C.", ""}, {"Yuan", "C. -P.", ""}, {"Hale", "Robert", "Jr"}, {"Collaboration"}, {}, {"", "", ""}})
	want := []string{"C. Balázs", "C. -P. Yuan", "Robert Hale Jr", "Collaboration"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
