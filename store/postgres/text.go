package postgres

import (
	"strings"
	"unicode/utf8"
)

// storable reports whether PostgreSQL can hold every s as text: valid
// UTF-8 without NUL. The server refuses any other text in a query (SQLSTATE
// 22021), so lookups by an id that is not storable answer "not found"
// without asking, as SQLite does: no row can have such an id.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// storableOnly returns the ids that are storable.
func storableOnly(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if storable(id) {
			out = append(out, id)
		}
	}
	return out
}
