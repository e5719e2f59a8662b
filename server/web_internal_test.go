package server

import "testing"

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/?date=2026-11-02", "/?date=2026-11-02"},
		{"/papers/hep-th/9901001/similar", "/papers/hep-th/9901001/similar"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"evil.example", "/"},
		{"/ok\r\nSet-Cookie: x=y", "/"},
		{"javascript:alert(1)", "/"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

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
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q) = %q, want %q", tt.in, got, tt.want)
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
		if got := snippet(tt.text, tt.n); got != tt.want {
			t.Errorf("snippet(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
	if got := authorList([]string{"A", "B", "C", "D", "E"}); got != "A, B, C et al." {
		t.Errorf("authorList of five = %q", got)
	}
	if got := authorList([]string{"A", "B"}); got != "A, B" {
		t.Errorf("authorList of two = %q", got)
	}
}

func TestDayLabel(t *testing.T) {
	tests := []struct{ date, want string }{
		{"2026-11-02", "Today"},
		{"2026-11-01", "Yesterday"},
		{"2026-10-28", "Wed 28 Oct"},
		{"2025-12-31", "31 Dec 2025"},
		{"junk", "junk"},
	}
	for _, tt := range tests {
		if got := dayLabel(tt.date, "2026-11-02"); got != tt.want {
			t.Errorf("dayLabel(%q) = %q, want %q", tt.date, got, tt.want)
		}
	}
}
