package display

import "testing"

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://arxiv.org/abs/2401.12345", "https://arxiv.org/abs/2401.12345"},
		{" http://example.org/x ", "http://example.org/x"},
		{"javascript:alert(1)", ""},
		{"data:text/html,<script>", ""},
		{"//example.org/x", ""},
		{"/relative", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SafeURL(tt.in); got != tt.want {
			t.Errorf("SafeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSnippetAndAuthors(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"  line\nbreaks\t and   spaces ", 40, "line breaks and spaces"},
		{"one two three four five six", 14, "one two three…"},
		{"ünïcödé wörds everywhere here", 12, "ünïcödé…"},
	}
	for _, tt := range tests {
		if got := Snippet(tt.text, tt.n); got != tt.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
	if got := Authors([]string{"A", "B", "C", "D", "E"}); got != "A, B, C et al." {
		t.Errorf("Authors of five = %q", got)
	}
	if got := Authors([]string{"A", "B"}); got != "A, B" {
		t.Errorf("Authors of two = %q", got)
	}
}
