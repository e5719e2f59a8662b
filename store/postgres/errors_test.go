package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" means the error passes through unchanged
	}{
		{"nil", nil, ""},
		{"coded", paperpicks.NotFound("paper", "x"), ""},
		{"canceled", fmt.Errorf("q: %w", context.Canceled), ""},
		{"no rows", pgx.ErrNoRows, ""},
		{"syntax", &pgconn.PgError{Code: "42601"}, ""},
		{"unique", &pgconn.PgError{Code: "23505"}, ""},
		{"deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), paperpicks.EUNAVAILABLE},
		{"admin shutdown", fmt.Errorf("q: %w", &pgconn.PgError{Code: "57P01"}), paperpicks.EUNAVAILABLE},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, paperpicks.EUNAVAILABLE},
		{"too many connections", &pgconn.PgError{Code: "53300"}, paperpicks.EUNAVAILABLE},
		{"connection failure", &pgconn.PgError{Code: "08006"}, paperpicks.EUNAVAILABLE},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, paperpicks.EUNAVAILABLE},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, paperpicks.EUNAVAILABLE},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), paperpicks.EUNAVAILABLE},
		{"eof", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), paperpicks.EUNAVAILABLE},
		{"conn closed", fmt.Errorf("q: %w", pgconn.ErrConnClosed), paperpicks.EUNAVAILABLE},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, paperpicks.ECONFLICT},
		{"NUL in text", fmt.Errorf("q: %w", &pgconn.PgError{Code: "22021"}), paperpicks.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if tt.want == "" {
				if got != tt.err {
					t.Errorf("classify(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if paperpicks.ErrorCode(got) != tt.want || !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v (%s), want %s wrapping the cause", tt.err, got, paperpicks.ErrorCode(got), tt.want)
			}
		})
	}
}

// A connection the server drops under a running store must surface as
// EUNAVAILABLE, not as an internal error.
func TestDroppedConnectionIsUnavailable(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := Open(ctx, url+sep+"pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pid int
	if err := s.pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetPaper(ctx, "x")
	if paperpicks.ErrorCode(err) != paperpicks.EUNAVAILABLE {
		t.Errorf("GetPaper on a dropped connection: %v (%s), want unavailable", err, paperpicks.ErrorCode(err))
	}
	// The pool replaces the dead connection.
	if _, err := s.GetPaper(ctx, "x"); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Errorf("after reconnect: %v, want not_found", err)
	}
}
