package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
)

// readFixture returns a file of ../testdata.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseAll parses src as format f and returns every item; Parse must not fail.
func parseAll(t testing.TB, src []byte, f Format) []Item {
	t.Helper()
	var items []Item
	err := Parse(context.Background(), bytes.NewReader(src), f, func(it Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatalf("Parse(%s): %v", f, err)
	}
	return items
}

// problem is what a test expects of a skipped record.
type problem struct{ pos, reason string }

// checkItems compares the papers (by position) and the problems of items
// with the expected ones, and that every paper carries the format as Source.
func checkItems(t *testing.T, items []Item, f Format, papers map[string]paperpicks.Paper, problems []problem) {
	t.Helper()
	var gotProblems []problem
	seen := 0
	for _, it := range items {
		if it.Problem != "" {
			gotProblems = append(gotProblems, problem{it.Pos, it.Problem})
			continue
		}
		want, ok := papers[it.Pos]
		if !ok {
			continue // not every paper is spelled out
		}
		seen++
		want.Source = string(f)
		if !reflect.DeepEqual(it.Paper, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", it.Pos, it.Paper, want)
		}
	}
	if seen != len(papers) {
		t.Errorf("found %d of the %d expected papers", seen, len(papers))
	}
	if !reflect.DeepEqual(gotProblems, problems) {
		t.Errorf("problems:\n got %q\nwant %q", gotProblems, problems)
	}
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"", "", false},
		{"auto", "", false},
		{" AUTO ", "", false},
		{"jsonl", FormatJSONL, false},
		{"arxiv-atom", FormatAtom, false},
		{"Arxiv-RSS", FormatRSS, false},
		{"hf-daily", FormatHFDaily, false},
		{"arxiv-snapshot", FormatSnapshot, false},
		{"csv", "", true},
		{"atom", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseFormat(%q) = %q, %v", tt.in, got, err)
			}
			if err != nil && (!paperpicks.IsCode(err, paperpicks.EINVALID) || paperpicks.ErrorField(err) != "format") {
				t.Errorf("error %v: want EINVALID on field format", err)
			}
		})
	}
	if len(Formats()) != 5 {
		t.Errorf("Formats() = %v", Formats())
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); got != f || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
}

func TestParseDetectsFormat(t *testing.T) {
	for _, tt := range []struct {
		file string
		n    int
	}{
		{"arxiv-api.atom", 4}, {"arxiv-rss.xml", 5}, {"hf-daily.json", 5},
		{"arxiv-snapshot.jsonl", 6}, {"papers-mixed.jsonl", 11},
	} {
		t.Run(tt.file, func(t *testing.T) {
			if items := parseAll(t, readFixture(t, tt.file), ""); len(items) != tt.n {
				t.Errorf("got %d items, want %d", len(items), tt.n)
			}
		})
	}
}

func TestParseStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Parse(context.Background(), bytes.NewReader(readFixture(t, "papers-mixed.jsonl")), FormatJSONL, func(Item) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("err = %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func TestParseCancelled(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			src := map[Format]string{
				FormatJSONL: "papers-mixed.jsonl", FormatAtom: "arxiv-api.atom", FormatRSS: "arxiv-rss.xml",
				FormatHFDaily: "hf-daily.json", FormatSnapshot: "arxiv-snapshot.jsonl",
			}[f]
			err := Parse(ctx, bytes.NewReader(readFixture(t, src)), f, func(Item) error { return nil })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseReadError(t *testing.T) {
	ioErr := paperpicks.Errorf(paperpicks.ETOOLARGE, "too big")
	for _, tt := range []struct {
		f    Format
		file string
	}{
		{FormatJSONL, "papers-mixed.jsonl"}, {FormatAtom, "arxiv-api.atom"}, {FormatRSS, "arxiv-rss.xml"},
		{FormatHFDaily, "hf-daily.json"}, {FormatSnapshot, "arxiv-snapshot.jsonl"}, {"", "arxiv-api.atom"},
	} {
		t.Run(string(tt.f), func(t *testing.T) {
			data := readFixture(t, tt.file)
			r := &failingReader{data: data[:len(data)/2], err: ioErr}
			err := Parse(context.Background(), r, tt.f, func(Item) error { return nil })
			if !paperpicks.IsCode(err, paperpicks.ETOOLARGE) {
				t.Fatalf("err = %v, want the reader's ETOOLARGE", err)
			}
		})
	}
}

func TestParseUnknownFormat(t *testing.T) {
	err := Parse(context.Background(), strings.NewReader("{}"), "csv", func(Item) error { return nil })
	if !paperpicks.IsCode(err, paperpicks.EINVALID) {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	err = Parse(context.Background(), strings.NewReader("id,title\n"), "", func(Item) error { return nil })
	if !paperpicks.IsCode(err, paperpicks.EINVALID) {
		t.Fatalf("undetectable input: err = %v, want EINVALID", err)
	}
}
