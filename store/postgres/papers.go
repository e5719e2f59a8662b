package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

const paperColumns = `id, title, abstract, authors, url, published, categories, upvotes, source, added_at, updated_at`

func scanPaper(sc interface{ Scan(...any) error }) (*paperpicks.Paper, error) {
	var p paperpicks.Paper
	var authors, cats string
	var published, added, updated pgtype.Timestamptz
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
	p.Published, p.AddedAt, p.UpdatedAt = fromTS(published), fromTS(added), fromTS(updated)
	return &p, nil
}

// queryPapers runs a query returning paperColumns and collects the rows.
func queryPapers(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) ([]*paperpicks.Paper, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*paperpicks.Paper
	for rows.Next() {
		p, err := scanPaper(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Store) PaperStates(ctx context.Context, space string, ids []string) (map[string]store.PaperState, error) {
	out := make(map[string]store.PaperState, len(ids))
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.text_hash, v.text_hash IS NOT NULL AND v.text_hash = p.text_hash
		FROM papers p LEFT JOIN paper_vectors v ON v.paper_id = p.id AND v.space = $1
		WHERE p.id = ANY($2)`, space, ids)
	if err != nil {
		return nil, classify(fmt.Errorf("paper states: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var st store.PaperState
		if err := rows.Scan(&id, &st.TextHash, &st.HasVector); err != nil {
			return nil, classify(fmt.Errorf("paper states: %w", err))
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("paper states: %w", err))
	}
	return out, nil
}

func (s *Store) GetPaper(ctx context.Context, id string) (*paperpicks.Paper, error) {
	if !storable(id) {
		return nil, paperpicks.NotFound("paper", id)
	}
	p, err := scanPaper(s.pool.QueryRow(ctx, `SELECT `+paperColumns+` FROM papers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.NotFound("paper", id)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get paper %q: %w", id, err))
	}
	return p, nil
}

func (s *Store) GetPapers(ctx context.Context, ids []string) (map[string]*paperpicks.Paper, error) {
	ids = storableOnly(ids)
	papers, err := queryPapers(ctx, s.pool, `SELECT `+paperColumns+` FROM papers WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, classify(fmt.Errorf("get papers: %w", err))
	}
	out := make(map[string]*paperpicks.Paper, len(papers))
	for _, p := range papers {
		out[p.ID] = p
	}
	return out, nil
}

func (s *Store) CountPapers(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM papers`).Scan(&n); err != nil {
		return 0, classify(fmt.Errorf("count papers: %w", err))
	}
	return n, nil
}

// pageSize bounds the rows a scan reads in one query: between pages no
// connection or snapshot is held, so a long scan (and fn's work) never
// keeps a transaction open for minutes.
const pageSize = 2000

func (s *Store) ScanPapers(ctx context.Context, fn func(*paperpicks.Paper) error) error {
	after := ""
	for {
		page, err := queryPapers(ctx, s.pool, `SELECT `+paperColumns+` FROM papers WHERE id > $1 ORDER BY id LIMIT $2`, after, pageSize)
		if err != nil {
			return classify(fmt.Errorf("scan papers: %w", err))
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
	type row struct {
		id    string
		added pgtype.Timestamptz
		blob  []byte
	}
	after := ""
	var buf []float32
	for {
		rows, err := s.pool.Query(ctx, `SELECT p.id, p.added_at, v.vec FROM paper_vectors v JOIN papers p ON p.id = v.paper_id
			WHERE v.space = $1 AND v.paper_id > $2 ORDER BY v.paper_id LIMIT $3`, space, after, pageSize)
		if err != nil {
			return classify(fmt.Errorf("scan vectors: %w", err))
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.added, &x.blob)
			return x, err
		})
		if err != nil {
			return classify(fmt.Errorf("scan vectors: %w", err))
		}
		for _, r := range page {
			if buf, err = store.DecodeVector(r.blob, buf); err != nil {
				return fmt.Errorf("vector of %q: %w", r.id, err)
			}
			if err := fn(r.id, fromTS(r.added), buf); err != nil {
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
	// The last vector given for an id wins, as when written one by one;
	// sorting makes concurrent writers lock rows in the same order.
	last := make(map[string]int, len(vecs))
	for i, v := range vecs {
		last[v.ID] = i
	}
	batch := make([]store.IDVector, 0, len(last))
	for i, v := range vecs {
		if last[v.ID] == i {
			batch = append(batch, v)
		}
	}
	slices.SortFunc(batch, func(a, b store.IDVector) int { return cmp.Compare(a.ID, b.ID) })
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for lo := 0; lo < len(batch); lo += chunk {
			var b pgx.Batch
			queueVectors(&b, space, batch[lo:min(lo+chunk, len(batch))])
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return fmt.Errorf("put vectors: %w", err)
			}
		}
		return nil
	})
	return classify(err)
}

// queueVectors queues one statement upserting vecs (distinct ids) in space.
func queueVectors(b *pgx.Batch, space string, vecs []store.IDVector) {
	if len(vecs) == 0 {
		return
	}
	ids, hashes, blobs := make([]string, len(vecs)), make([]string, len(vecs)), make([][]byte, len(vecs))
	for i, v := range vecs {
		ids[i], hashes[i], blobs[i] = v.ID, v.TextHash, store.EncodeVector(v.Vector)
	}
	b.Queue(`INSERT INTO paper_vectors (paper_id, space, text_hash, vec)
		SELECT u.id, $1, u.hash, u.vec FROM unnest($2::text[], $3::text[], $4::bytea[]) AS u (id, hash, vec)
		ON CONFLICT (space, paper_id) DO UPDATE SET text_hash = excluded.text_hash, vec = excluded.vec`,
		space, ids, hashes, blobs)
}

func (s *Store) DropVectorsExcept(ctx context.Context, space string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM paper_vectors WHERE space <> $1`, space); err != nil {
		return classify(fmt.Errorf("drop vectors: %w", err))
	}
	return nil
}
