package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) ActiveEmbedder(ctx context.Context, kind string) (*store.EmbedderState, error) {
	st := store.EmbedderState{Kind: kind}
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT name, state, fit_docs, created_at FROM embedders WHERE kind = ? AND active = 1`, kind).
		Scan(&st.Name, &st.State, &st.FitDocs, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no fitted %s embedder", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("active embedder: %w", err)
	}
	st.CreatedAt = store.FromMicros(created)
	return &st, nil
}

func (s *Store) SaveEmbedder(ctx context.Context, st *store.EmbedderState, activate bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO embedders (kind, name, state, fit_docs, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (kind, name) DO UPDATE SET state = excluded.state, fit_docs = excluded.fit_docs`,
			st.Kind, st.Name, st.State, st.FitDocs, store.Micros(st.CreatedAt))
		if err != nil {
			return fmt.Errorf("save embedder %s: %w", st.Name, err)
		}
		if activate {
			return activateTx(ctx, tx, st.Kind, st.Name)
		}
		return nil
	})
}

func (s *Store) ActivateEmbedder(ctx context.Context, kind, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return activateTx(ctx, tx, kind, name) })
}

func activateTx(ctx context.Context, tx *sql.Tx, kind, name string) error {
	_, err := tx.ExecContext(ctx, `UPDATE embedders SET active = (name = ?) WHERE kind = ?`, name, kind)
	if err != nil {
		return fmt.Errorf("activate embedder %s: %w", name, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM embedders WHERE kind = ? AND name = ?`, kind, name).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return paperpicks.NotFound("embedder", name)
	}
	// Older fitted states are kept only until their vectors are gone.
	_, err = tx.ExecContext(ctx, `DELETE FROM embedders WHERE kind = ? AND active = 0`, kind)
	return err
}

func (s *Store) LoadEmbeddings(ctx context.Context, space string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	for lo := 0; lo < len(hashes); lo += chunk {
		part := hashes[lo:min(lo+chunk, len(hashes))]
		rows, err := s.r.QueryContext(ctx, `SELECT text_hash, vec FROM embedding_cache WHERE space = ? AND text_hash IN (`+placeholders(len(part))+`)`,
			append([]any{space}, anys(part)...)...)
		if err != nil {
			return nil, fmt.Errorf("load embeddings: %w", err)
		}
		for rows.Next() {
			var h string
			var blob []byte
			if err := rows.Scan(&h, &blob); err != nil {
				rows.Close()
				return nil, err
			}
			v, err := store.DecodeVector(blob, nil)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = v
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) StoreEmbeddings(ctx context.Context, space string, vecs map[string][]float32) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for h, v := range vecs {
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO embedding_cache (space, text_hash, vec) VALUES (?, ?, ?)`, space, h, store.EncodeVector(v)); err != nil {
				return fmt.Errorf("store embedding: %w", err)
			}
		}
		return nil
	})
}
