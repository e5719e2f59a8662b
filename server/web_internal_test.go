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
