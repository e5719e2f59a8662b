package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// Hot statements are prepared once: modernc's SQLite parses SQL in Go,
// and parsing cost more than running the statement on the feedback path.
const (
	qUserExists   = `SELECT count(*) FROM users WHERE id = ?`
	qPaperExists  = `SELECT count(*) FROM papers WHERE id = ?`
	qVote         = `SELECT value, at FROM votes WHERE user_id = ? AND paper_id = ?`
	qLogEvent     = `INSERT INTO feedback_events (user_id, paper_id, value, at) VALUES (?, ?, ?, ?)`
	qDeleteVote   = `DELETE FROM votes WHERE user_id = ? AND paper_id = ?`
	qPutVote      = `INSERT INTO votes (user_id, paper_id, value, at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, paper_id) DO UPDATE SET value = excluded.value, at = excluded.at`
	qGetProfile   = `SELECT space, up_sum, down_sum, up_w, down_w, ref_time, updated_at FROM profiles WHERE user_id = ?`
	qPutProfile   = `INSERT INTO profiles (user_id, space, up_sum, down_sum, up_w, down_w, ref_time, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET space = excluded.space, up_sum = excluded.up_sum, down_sum = excluded.down_sum, up_w = excluded.up_w, down_w = excluded.down_w, ref_time = excluded.ref_time, updated_at = excluded.updated_at`
	qUserByToken  = `SELECT ` + userColumns + ` FROM users WHERE token_hash = ?`
	qGetUser      = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	qFeedbackLog  = `SELECT paper_id, value, at FROM feedback_events WHERE user_id = ? ORDER BY seq`
	qGetPaper     = `SELECT ` + paperColumns + ` FROM papers WHERE id = ?`
	qInsertPaper  = `INSERT INTO papers (` + paperColumns + `, text_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdatePaper  = `UPDATE papers SET title = ?, abstract = ?, authors = ?, url = ?, published = ?, categories = ?, upvotes = ?, source = ?, text_hash = ?, updated_at = ? WHERE id = ?`
	qVectorUpsert = `INSERT INTO paper_vectors (paper_id, space, text_hash, vec) VALUES (?, ?, ?, ?) ON CONFLICT (space, paper_id) DO UPDATE SET text_hash = excluded.text_hash, vec = excluded.vec`
)

var writerQueries = []string{qUserExists, qPaperExists, qVote, qLogEvent, qDeleteVote, qPutVote, qGetProfile, qPutProfile,
	qFeedbackLog, qGetPaper, qInsertPaper, qUpdatePaper, qVectorUpsert}

var readerQueries = []string{qUserByToken, qGetUser, qGetProfile, qFeedbackLog, qGetPaper}

// prepareHot prepares the hot statements of both pools. The writer's
// must be prepared before any transaction holds its one connection.
func (s *Store) prepareHot(ctx context.Context) error {
	s.wst, s.rst = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	for _, q := range writerQueries {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.wst[q] = st
	}
	for _, q := range readerQueries {
		st, err := s.r.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.rst[q] = st
	}
	return nil
}

// execer is what statements run on: a transaction, a pool, or wtx.
type execer interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// wtx is a write transaction that runs hot statements through their
// prepared form (on the writer's one connection the prepared statement is
// used as is) and anything else as plain SQL.
type wtx struct {
	*sql.Tx
	s *Store
}

func (t wtx) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := t.s.wst[q]; ok {
		return t.Tx.StmtContext(ctx, st)
	}
	return nil
}

func (t wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// reader runs hot reads through the reader pool's prepared statements.
type reader struct{ s *Store }

func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := r.s.rst[q]; ok {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.r.QueryRowContext(ctx, q, args...)
}

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, ok := r.s.rst[q]; ok {
		return st.QueryContext(ctx, args...)
	}
	return r.s.r.QueryContext(ctx, q, args...)
}

// prepareAll prepares statements for one transaction's batch of work.
func prepareAll(ctx context.Context, tx *sql.Tx, queries ...string) ([]*sql.Stmt, error) {
	var out []*sql.Stmt
	for _, q := range queries {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			closeStmts(out)
			return nil, fmt.Errorf("prepare: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}

func closeStmts(stmts []*sql.Stmt) {
	for _, st := range stmts {
		st.Close()
	}
}
