package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// ts is t as a timestamptz argument: UTC at microsecond precision like
// store.Micros, and NULL for the zero time (see migrations/0001).
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// fromTS is the inverse of ts; pgx returns local times, we return UTC.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}
