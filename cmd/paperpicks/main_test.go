package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks"
)

var update = flag.Bool("update", false, "rewrite generated files (README table)")

// runCLI runs the binary's run function and returns stdout.
func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, []string{"PAPERPICKS_LOG_LEVEL=warn"}, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestCLICatalogRoundTrip(t *testing.T) {
	data := t.TempDir()
	out, err := runCLI(t, "", "--data", data, "--json", "ingest", "../../testdata/papers.jsonl")
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	var sum struct {
		Added   int `json:"added"`
		Skipped []struct{ Pos, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Added != 119 {
		t.Fatalf("ingest summary %q: %v", out, err)
	}

	// Scripts rely on: --json similar ID -k 5 (flags after the positional argument).
	out, err = runCLI(t, "", "--data", data, "--json", "similar", "sample-acea468a", "-k", "5")
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Score float64 `json:"score"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 5 || res[0].Title == "" || res[0].ID == "sample-acea468a" {
		t.Fatalf("similar = %q, %v", out, err)
	}
	out, err = runCLI(t, "", "--data", data, "--json", "search", "medical imaging with few labels", "-k", "5")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 5 {
		t.Fatalf("search = %q, %v", out, err)
	}
	if _, err := runCLI(t, "", "--data", data, "papers", "nope"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("papers nope: %v, want not_found", err)
	}

	// Stdin, with a bad line among good ones: skipped, reported, exit 0.
	in := `{"id":"2402.00001","title":"Diffusion models for audio","abstract":"We denoise spectrograms."}` + "\n{broken\n"
	out, err = runCLI(t, in, "--data", data, "ingest", "-")
	if err != nil || !strings.Contains(out, "added 1") || !strings.Contains(out, "line 2") {
		t.Errorf("ingest - = %q, %v", out, err)
	}
	// Nothing valid: non-zero exit.
	if _, err := runCLI(t, "{broken\n", "--data", data, "ingest", "--format", "jsonl", "-"); paperpicks.ErrorCode(err) != paperpicks.EUNPROCESSABLE {
		t.Errorf("ingest of nothing valid: %v, want unprocessable", err)
	}
	if _, err := runCLI(t, "", "--data", data, "ingest", filepath.Join(data, "missing.jsonl")); err == nil {
		t.Error("ingest of a missing file succeeded")
	}

	out, err = runCLI(t, "", "--data", data, "--json", "reindex")
	if err != nil || !strings.Contains(out, `"papers": 120`) {
		t.Errorf("reindex = %q, %v", out, err)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	if _, err := runCLI(t, "", "frobnicate"); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("unknown command: %v", err)
	}
	if _, err := runCLI(t, "", "similar"); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("similar without id: %v", err)
	}
	for cmd := range commands { // every command's flags must register without clashing
		if _, err := runCLI(t, "", cmd, "--help"); err != flag.ErrHelp {
			t.Errorf("%s --help: %v, want flag.ErrHelp", cmd, err)
		}
	}
	if _, err := runCLI(t, "", "--data", os.DevNull+"/x", "--embedder", "bert", "papers", "x"); paperpicks.ErrorField(err) != "embedder.kind" {
		t.Errorf("bad embedder: %v", err)
	}
}
