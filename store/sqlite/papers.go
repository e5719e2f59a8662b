package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

const paperColumns = `id, title, abstract, authors, url, published, categories, upvotes, source, added_at, updated_at`

// chunk is how many ids go in one IN (...) list.
const chunk = 500

func scanPaper(sc interface{ Scan(...any) error }) (*paperpicks.Paper, error) {
	var p paperpicks.Paper
	var authors, cats string
	var published, added, updated int64
	if err := sc.Scan(&p.ID, &p.Title, &p.Abstract, &authors, &p.URL, &published, &cats, &p.Upvotes, &p.Source, &added, &updated); err != nil {
		return nil, err
	}
	var err error
	if p.Authors, err = store.DecodeList(authors); err != nil {
		return nil, err
	}
	if p.Categories, err = store.DecodeList(cats); err != nil {
		return nil, err
	}
	p.Published, p.AddedAt, p.UpdatedAt = store.FromMicros(published), store.FromMicros(added), store.FromMicros(updated)
	return &p, nil
}

func (s *Store) PaperStates(ctx context.Context, space string, ids []string) (map[string]store.PaperState, error) {
	out := make(map[string]store.PaperState, len(ids))
	for lo := 0; lo < len(ids); lo += chunk {
		part := ids[lo:min(lo+chunk, len(ids))]
		rows, err := s.r.QueryContext(ctx, `SELECT p.id, p.text_hash, v.text_hash IS NOT NULL AND v.text_hash = p.text_hash
			FROM papers p LEFT JOIN paper_vectors v ON v.paper_id = p.id AND v.space = ?
			WHERE p.id IN (`+placeholders(len(part))+`)`, append([]any{space}, anys(part)...)...)
		if err != nil {
			return nil, fmt.Errorf("paper states: %w", err)
		}
		for rows.Next() {
			var id string
			var st store.PaperState
			if err := rows.Scan(&id, &st.TextHash, &st.HasVector); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = st
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) UpsertPapers(ctx context.Context, space string, papers []store.PaperVector, now time.Time) ([]store.Outcome, error) {
	nowUS := store.Micros(now)
	out := make([]store.Outcome, len(papers))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Prepared once at Open: parsing SQL per paper cost more than
		// executing it.
		get, insert, update, putVec := tx.StmtContext(ctx, s.wst[qGetPaper]), tx.StmtContext(ctx, s.wst[qInsertPaper]),
			tx.StmtContext(ctx, s.wst[qUpdatePaper]), tx.StmtContext(ctx, s.wst[qVectorUpsert])
		for i := range papers {
			pv := &papers[i]
			p := &pv.Paper
			old, err := scanPaper(get.QueryRowContext(ctx, p.ID))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				_, err = insert.ExecContext(ctx, p.ID, p.Title, p.Abstract, store.EncodeList(p.Authors), p.URL, store.Micros(p.Published),
					store.EncodeList(p.Categories), p.Upvotes, p.Source, nowUS, nowUS, pv.TextHash)
				out[i] = store.Added
			case err != nil:
				return fmt.Errorf("read paper %q: %w", p.ID, err)
			case store.SameMetadata(old, p):
				out[i] = store.Unchanged
			default:
				_, err = update.ExecContext(ctx, p.Title, p.Abstract, store.EncodeList(p.Authors), p.URL, store.Micros(p.Published),
					store.EncodeList(p.Categories), p.Upvotes, p.Source, pv.TextHash, nowUS, p.ID)
				out[i] = store.Updated
			}
			if err != nil {
				return fmt.Errorf("write paper %q: %w", p.ID, err)
			}
			if pv.Vector != nil {
				if _, err := putVec.ExecContext(ctx, p.ID, space, pv.TextHash, store.EncodeVector(pv.Vector)); err != nil {
					return fmt.Errorf("write vector of %q: %w", p.ID, err)
				}
				if out[i] == store.Unchanged {
					out[i] = store.Updated // its vector was missing or stale
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func putVector(ctx context.Context, tx *sql.Tx, space, id, hash string, vec []float32) error {
	_, err := tx.ExecContext(ctx, qVectorUpsert, id, space, hash, store.EncodeVector(vec))
	if err != nil {
		return fmt.Errorf("write vector of %q: %w", id, err)
	}
	return nil
}

func (s *Store) GetPaper(ctx context.Context, id string) (*paperpicks.Paper, error) {
	p, err := scanPaper(reader{s}.QueryRowContext(ctx, qGetPaper, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.NotFound("paper", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get paper %q: %w", id, err)
	}
	return p, nil
}

func (s *Store) GetPapers(ctx context.Context, ids []string) (map[string]*paperpicks.Paper, error) {
	out := make(map[string]*paperpicks.Paper, len(ids))
	for lo := 0; lo < len(ids); lo += chunk {
		part := ids[lo:min(lo+chunk, len(ids))]
		rows, err := s.r.QueryContext(ctx, `SELECT `+paperColumns+` FROM papers WHERE id IN (`+placeholders(len(part))+`)`, anys(part)...)
		if err != nil {
			return nil, fmt.Errorf("get papers: %w", err)
		}
		for rows.Next() {
			p, err := scanPaper(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[p.ID] = p
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) CountPapers(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM papers`).Scan(&n)
	return n, err
}

// pageSize bounds the rows a scan holds in one query, so a long scan never
// keeps a read transaction (and the WAL) open for minutes.
const pageSize = 2000

func (s *Store) ScanPapers(ctx context.Context, fn func(*paperpicks.Paper) error) error {
	after := ""
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT `+paperColumns+` FROM papers WHERE id > ? ORDER BY id LIMIT ?`, after, pageSize)
		if err != nil {
			return fmt.Errorf("scan papers: %w", err)
		}
		var page []*paperpicks.Paper
		for rows.Next() {
			p, err := scanPaper(rows)
			if err != nil {
				rows.Close()
				return err
			}
			page = append(page, p)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func (s *Store) ScanVectors(ctx context.Context, space string, fn func(id string, addedAt time.Time, vec []float32) error) error {
	after := ""
	var buf []float32
	type row struct {
		id    string
		added int64
		blob  []byte
	}
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT p.id, p.added_at, v.vec FROM paper_vectors v JOIN papers p ON p.id = v.paper_id
			WHERE v.space = ? AND v.paper_id > ? ORDER BY v.paper_id LIMIT ?`, space, after, pageSize)
		if err != nil {
			return fmt.Errorf("scan vectors: %w", err)
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.added, &r.blob); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range page {
			if buf, err = store.DecodeVector(r.blob, buf); err != nil {
				return fmt.Errorf("vector of %q: %w", r.id, err)
			}
			if err := fn(r.id, store.FromMicros(r.added), buf); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].id
	}
}

func (s *Store) PutVectors(ctx context.Context, space string, vecs []store.IDVector) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, v := range vecs {
			if err := putVector(ctx, tx, space, v.ID, v.TextHash, v.Vector); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) DropVectorsExcept(ctx context.Context, space string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM paper_vectors WHERE space <> ?`, space)
		return err
	})
}
