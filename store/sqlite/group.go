package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/paperpicks/paperpicks"
)

// groupCommitMax bounds how many small writes share one transaction.
const groupCommitMax = 64

// groupJob is one small write waiting for the group commit.
type groupJob struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// grouped runs fn in a write transaction shared with other small writes
// that arrive at the same time (group commit): one commit, one sync of the
// WAL, for all of them. Each fn runs in its own savepoint, in arrival
// order, so it sees the writes of those before it and its failure undoes
// only its own. grouped returns once the commit that holds fn's writes
// is durable, so a caller that got nil may promise its client durability.
func (s *Store) grouped(ctx context.Context, fn func(*sql.Tx) error) error {
	job := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.jobs <- job:
	case <-s.quit:
		return paperpicks.Errorf(paperpicks.EUNAVAILABLE, "the store is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may be
	// committed, and the caller must not be told otherwise.
	return <-job.done
}

// commitLoop is the group committer: it takes the first waiting job and
// whatever else is already queued, and commits them together.
func (s *Store) commitLoop() {
	defer close(s.loopDone)
	for {
		var first *groupJob
		select {
		case first = <-s.jobs:
		case <-s.quit:
			return
		}
		batch := []*groupJob{first}
	drain:
		for len(batch) < groupCommitMax {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*groupJob) {
	errs := make([]error, len(batch))
	err := s.tx(context.Background(), func(tx *sql.Tx) error {
		for i, j := range batch {
			if errs[i] = j.ctx.Err(); errs[i] != nil {
				continue
			}
			if _, err := tx.Exec(`SAVEPOINT job`); err != nil {
				return err
			}
			if errs[i] = j.fn(tx); errs[i] != nil {
				if _, err := tx.Exec(`ROLLBACK TO job`); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`RELEASE job`); err != nil {
				return err
			}
		}
		return nil
	})
	for i, j := range batch {
		if err != nil {
			errs[i] = fmt.Errorf("group commit: %w", err)
		}
		j.done <- errs[i]
	}
}
