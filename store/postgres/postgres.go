// Package postgres is the server store: the same schema and behaviour as
// store/sqlite on PostgreSQL through pgx, for deployments where several
// paperpicks instances share one database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL backend. Every call borrows a connection from one
// pool; writes run in READ COMMITTED transactions and lock the rows they
// touch, so several instances may write at once.
type Store struct {
	pool     *pgxpool.Pool
	feedback *feedbackGroup
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or keyword/value
// string; pool settings such as pool_max_conns may ride along) and applies
// pending migrations. A server that cannot be reached is EUNAVAILABLE.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password from its parse errors.
		return nil, paperpicks.FieldErrorf("store.postgres_url", "invalid PostgreSQL URL: %v", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(fmt.Errorf("open postgres: %w", err))
	}
	s := &Store{pool: pool}
	s.feedback = &feedbackGroup{s: s}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, classify(err)
	}
	return s, nil
}

// Close closes the pool, waiting for borrowed connections to come back.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	return classify(s.pool.Ping(ctx))
}

// migrationLock is the advisory lock key held while migrating, so
// instances starting together apply each migration once ("paperpi").
const migrationLock int64 = 0x7061706572706900

// migrate applies the embedded migrations in order, each in its own
// transaction under the migration lock, and records them in
// schema_migrations (the same bookkeeping as the SQLite backend).
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := name[len("migrations/"):]
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, _ := migrations.ReadFile(name)
		err = s.tx(ctx, func(tx pgx.Tx) error {
			// The lock ends with the transaction, even if this process dies.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY)`); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, v).Scan(&done); err != nil || done {
				return err
			}
			// Without arguments pgx uses the simple protocol, which runs
			// a file of several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("apply %s: %w", base, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// txAttempts bounds how often tx reruns fn after a deadlock or a
// serialization failure, both of which PostgreSQL resolves by aborting one
// of the transactions involved.
const txAttempts = 3

// tx runs fn in a transaction and commits it, or rolls back on error. fn
// may run more than once, so it must not keep state between attempts.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.tx1(ctx, fn); !retryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) tx1(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		// A failed rollback closes the connection, which ends the
		// transaction on the server too.
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a deadlock or serialization failure.
func retryable(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pe.Code == "40P01" || pe.Code == "40001")
}
