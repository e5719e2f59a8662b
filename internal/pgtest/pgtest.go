// Package pgtest gives tests a PostgreSQL database of their own. The server
// comes from PAPERPICKS_TEST_POSTGRES_URL; without it the tests skip, except
// in CI (CI set), where they fail, so CI can never pass by skipping them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvURL names the variable holding the URL of a server tests may create
// and drop databases on, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvURL = "PAPERPICKS_TEST_POSTGRES_URL"

// URL returns the server URL from EnvURL. When it is unset the test is
// skipped, or fails when the CI variable is set.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(EnvURL + " is required in CI")
		}
		t.Skip(EnvURL + " is not set; skipping PostgreSQL tests")
	}
	return u
}

// NewDatabase creates an empty database with a random name on the server
// of URL(t), drops it when the test ends, and returns its URL. Each test
// getting its own database keeps tests independent and parallel-safe.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := URL(t)
	var b [8]byte
	rand.Read(b[:])
	name := "pp_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := maintain(ctx, server, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open (PostgreSQL 13+).
		err := maintain(ctx, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "42601" {
			err = maintain(ctx, server, "DROP DATABASE IF EXISTS "+name)
		}
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// maintain runs one statement on its own connection to the server URL:
// CREATE and DROP DATABASE cannot run inside a transaction or a pool.
func maintain(ctx context.Context, server, sql string) error {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns server with its database replaced by name, for
// both URL and keyword/value connection strings.
func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	// In keyword/value strings a later keyword overrides an earlier one.
	return server + " dbname=" + name
}
