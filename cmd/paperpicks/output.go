package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/paperpicks/paperpicks/catalog"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printResults writes query results as JSON or as a table.
func printResults(e *env, res []catalog.Result) error {
	if e.json {
		if res == nil {
			res = []catalog.Result{}
		}
		return printJSON(e.stdout, res)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCORE\tID\tTITLE")
	for _, r := range res {
		fmt.Fprintf(tw, "%.3f\t%s\t%s\n", r.Score, r.ID, truncate(r.Title, 90))
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
