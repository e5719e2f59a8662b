package ingest

import (
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestParseHFDaily(t *testing.T) {
	items := parseAll(t, readFixture(t, "hf-daily.json"), FormatHFDaily)
	papers := map[string]paperpicks.Paper{
		"item 1": {
			ID:    "2411.02265",
			Title: "Self-Correcting Code Generation with Execution Feedback",
			Abstract: "Large language models write code that often fails on the first run. We let the model execute its program, " +
				"read the traceback and revise, and train it on its own successful repair trajectories. Pass@1 on HumanEval+ rises from 71.3 to 80.2.",
			Authors:   []string{"Yuxin Chen", "Ravi Shankar", "Ingrid Solberg"},
			URL:       "https://arxiv.org/abs/2411.02265",
			Published: date("2024-11-04T16:42:10Z"),
			Upvotes:   57,
		},
		"item 5": {
			ID:    "2410.23001",
			Title: "Long-Horizon Agents Need Memory Consolidation",
			Abstract: "Agents that act over thousands of steps forget early observations. " +
				"We add a consolidation phase that compresses episodic memory into reusable skills.",
			Authors:   []string{"Haruto Sato", "Grace O'Neill"},
			URL:       "https://arxiv.org/abs/2410.23001",
			Published: date("2024-10-30T17:45:12Z"),
		},
	}
	problems := []problem{
		{"item 3", "wrong type for paper.upvotes: got string, want number"},
		{"item 4", "missing abstract"},
	}
	checkItems(t, items, FormatHFDaily, papers, problems)
	if items[1].Paper.Upvotes != 31 {
		t.Errorf("item 2 upvotes = %d, want 31", items[1].Paper.Upvotes)
	}
}

func TestParseHFDailyProblems(t *testing.T) {
	const good = `{"paper":{"id":"2411.00001","title":"T","summary":"A","authors":[{"name":"N. N."}],"upvotes":3}}`
	tests := []struct {
		name     string
		in       string
		papers   int
		problems []problem
	}{
		{"empty array", "[]", 0, nil},
		{"empty input", "", 0, []problem{{"item 1", "empty input, want a JSON array of daily papers"}}},
		{"an error object", `{"error":"Invalid date"}`, 0, []problem{{"item 1", "not a JSON array of daily papers"}}},
		{"truncated element", "[" + good + `,{"paper":{"id":"2411.0`, 1, []problem{{"item 2", "invalid JSON: unexpected end of input, stopped reading"}}},
		{"missing closing bracket", "[" + good, 1, []problem{{"item 2", "invalid JSON: unexpected end of input, stopped reading"}}},
		{"syntax error", "[" + good + `,{"paper":}]`, 1, []problem{{"item 2", "invalid JSON: invalid character '}' looking for beginning of value, stopped reading"}}},
		{"element not an object", "[" + good + `,7,` + good + "]", 2, []problem{{"item 2", "not a JSON object: got number"}}},
		{"title from the top level", `[{"paper":{"id":"2411.00002","summary":"A"},"title":"Top"}]`, 1, nil},
		{"non-arXiv id", `[{"paper":{"id":"hf-abc123","title":"T","summary":"A"}}]`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var problems []problem
			papers := 0
			for _, it := range parseAll(t, []byte(tt.in), FormatHFDaily) {
				if it.Problem != "" {
					problems = append(problems, problem{it.Pos, it.Problem})
				} else {
					papers++
				}
			}
			if papers != tt.papers || len(problems) != len(tt.problems) {
				t.Fatalf("%d papers, problems %q; want %d, %q", papers, problems, tt.papers, tt.problems)
			}
			for i := range problems {
				if problems[i] != tt.problems[i] {
					t.Errorf("problem %q, want %q", problems[i], tt.problems[i])
				}
			}
		})
	}
	items := parseAll(t, []byte(`[{"paper":{"id":"hf-abc123","title":"T","summary":"A"}}]`), FormatHFDaily)
	if got := items[0].Paper.URL; got != "https://huggingface.co/papers/hf-abc123" {
		t.Errorf("non-arXiv URL = %q", got)
	}
}
