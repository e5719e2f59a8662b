package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paperpicks/paperpicks"
)

// classify turns errors that mean "the database is unreachable or gone"
// into EUNAVAILABLE, so the HTTP layer answers 503 (and clients retry)
// instead of 500. Errors that already carry a code are left alone, and so
// is context.Canceled: a client that went away is not an outage.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*paperpicks.Error](err); ok {
		return err
	}
	switch {
	case unavailable(err):
		return paperpicks.WrapError(paperpicks.EUNAVAILABLE, err, "database unavailable")
	case untextable(err):
		// Text PostgreSQL cannot hold slipped past validation.
		return paperpicks.WrapError(paperpicks.EINVALID, err, "text is not valid UTF-8 or contains a NUL character")
	case retryable(err):
		// Still deadlocked after txAttempts: a concurrent change won.
		return paperpicks.WrapError(paperpicks.ECONFLICT, err, "concurrent change, try again")
	}
	return err
}

// untextable reports text the server refuses: an invalid byte sequence
// (NUL, bad UTF-8) or a character the database encoding lacks.
func untextable(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pe.Code == "22021" || pe.Code == "22P05")
}

func unavailable(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case strings.HasPrefix(pe.Code, "53"): // insufficient resources: too many connections, disk full
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crashed, starting up
			return true
		case pe.Code == "57014": // statement timeout
			return true
		}
		return false
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
