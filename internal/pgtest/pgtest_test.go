package pgtest

import "testing"

func TestWithDatabase(t *testing.T) {
	tests := []struct{ server, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/pp_x?sslmode=disable"},
		{"postgresql://u:p@h/", "postgresql://u:p@h/pp_x"},
		{"postgres://h", "postgres://h/pp_x"},
		{"host=/tmp user=postgres dbname=postgres", "host=/tmp user=postgres dbname=postgres dbname=pp_x"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.server, "pp_x"); got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.server, got, tt.want)
		}
	}
}
