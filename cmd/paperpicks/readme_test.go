package main

import (
	"os"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks/config"
)

// The README's configuration table is generated; this keeps it true.
// Refresh with: go test ./cmd/paperpicks -run TestReadmeConfigTable -update
func TestReadmeConfigTable(t *testing.T) {
	const start, end = "<!-- config-table -->\n", "<!-- /config-table -->"
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the config-table markers")
	}
	want := config.Markdown()
	if got := readme[i+len(start) : j]; got != want {
		if *update {
			readme = readme[:i+len(start)] + want + readme[j:]
			if err := os.WriteFile("../../README.md", []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README configuration table is stale; run go test ./cmd/paperpicks -run TestReadmeConfigTable -update")
	}
}
