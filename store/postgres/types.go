package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// ts is t as a timestamptz argument: UTC at microsecond precision like
// store.Micros, and -infinity for the zero time. Unlike NULL, -infinity
// sorts and compares as the earliest time, as Go's zero time (and
// SQLite's 0) do, so "at >= $since" and "ORDER BY at DESC" need no NULL
// handling and every time column can be NOT NULL.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	}
	return pgtype.Timestamptz{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// fromTS is the inverse of ts; pgx returns local times, we return UTC.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		return time.Time{}
	}
	return v.Time.UTC()
}
