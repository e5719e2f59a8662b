package paperpicks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/ingest"
)

var update = flag.Bool("update", false, "regenerate testdata/papers.jsonl from ../shared/seed/papers-page.txt")

// seedPage is the real page the sample catalog is derived from; it lives
// outside the repository, so the derivation test runs where it exists.
const seedPage = "../shared/seed/papers-page.txt"

// deriveSample turns the page (two header lines, then a title line and an
// abstract line per paper) into catalog records with ids from the title.
func deriveSample(page []byte) ([]paperpicks.Paper, error) {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Get trending papers") {
		return nil, fmt.Errorf("unexpected page header %q", lines[:min(2, len(lines))])
	}
	lines = lines[2:]
	if len(lines)%2 != 0 {
		return nil, fmt.Errorf("%d lines after the header: not title/abstract pairs", len(lines))
	}
	var out []paperpicks.Paper
	for i := 0; i < len(lines); i += 2 {
		title := lines[i]
		if i == 0 { // the page's button text is glued to the first title
			title = strings.TrimPrefix(title, "Subscribe")
		}
		out = append(out, paperpicks.Paper{ID: "sample-" + paperpicks.TextHash(title)[:8], Title: title, Abstract: lines[i+1], Source: "sample"})
	}
	return out, nil
}

func TestSampleCatalog(t *testing.T) {
	data, err := os.ReadFile("testdata/papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if page, err := os.ReadFile(seedPage); err == nil {
		papers, err := deriveSample(page)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, p := range papers {
			enc.Encode(p)
		}
		if *update {
			if err := os.WriteFile("testdata/papers.jsonl", b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			data = b.Bytes()
		}
		if !bytes.Equal(data, b.Bytes()) {
			t.Fatalf("testdata/papers.jsonl differs from what %s derives; run go test -run TestSampleCatalog -update", seedPage)
		}
	}
	if !bytes.Equal(data, paperpicks.SampleCatalog) {
		t.Fatal("the embedded SampleCatalog is not testdata/papers.jsonl")
	}

	var papers []paperpicks.Paper
	err = ingest.Parse(context.Background(), bytes.NewReader(data), ingest.FormatJSONL, func(it ingest.Item) error {
		if it.Problem != "" {
			return fmt.Errorf("%s: %s", it.Pos, it.Problem)
		}
		papers = append(papers, it.Paper)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(papers) != 119 {
		t.Fatalf("sample catalog has %d papers, want 119", len(papers))
	}
	ids := map[string]bool{}
	for _, p := range papers {
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
	}
	if first := papers[0].Title; !strings.HasPrefix(first, "SPARSE Data, Rich Results") {
		t.Errorf("first title = %q: the page's \"Subscribe\" prefix should be gone", first)
	}
}
