package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

func (s *Store) ActiveEmbedder(ctx context.Context, kind string) (*store.EmbedderState, error) {
	st := store.EmbedderState{Kind: kind}
	var created pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT name, state, fit_docs, created_at FROM embedders WHERE kind = $1 AND active`, kind).
		Scan(&st.Name, &st.State, &st.FitDocs, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no fitted %s embedder", kind)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("active embedder: %w", err))
	}
	st.CreatedAt = fromTS(created)
	return &st, nil
}

func (s *Store) SaveEmbedder(ctx context.Context, st *store.EmbedderState, activate bool) error {
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO embedders (kind, name, state, fit_docs, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (kind, name) DO UPDATE SET state = excluded.state, fit_docs = excluded.fit_docs`,
			st.Kind, st.Name, st.State, st.FitDocs, ts(st.CreatedAt))
		if err != nil {
			return fmt.Errorf("save embedder %s: %w", st.Name, err)
		}
		if activate {
			return activateTx(ctx, tx, st.Kind, st.Name)
		}
		return nil
	}))
}

func (s *Store) ActivateEmbedder(ctx context.Context, kind, name string) error {
	return classify(s.tx(ctx, func(tx pgx.Tx) error { return activateTx(ctx, tx, kind, name) }))
}

// activateTx makes name the active state of kind and deletes the others.
// Activations of one kind are serialized by an advisory lock: row locks
// alone would let two of them, each blind to the other's uncommitted
// rows, both leave a state active (the unique index would then fail one).
func activateTx(ctx context.Context, tx pgx.Tx, kind, name string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('paperpicks.embedders.' || $1, 0))`, kind); err != nil {
		return fmt.Errorf("lock embedders: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM embedders WHERE kind = $1 AND name = $2)`, kind, name).Scan(&exists); err != nil {
		return fmt.Errorf("activate embedder %s: %w", name, err)
	}
	if !exists {
		return paperpicks.NotFound("embedder", name)
	}
	// Older fitted states are kept only until their vectors are gone; the
	// delete also clears the old active flag before the new one is set.
	if _, err := tx.Exec(ctx, `DELETE FROM embedders WHERE kind = $1 AND name <> $2`, kind, name); err != nil {
		return fmt.Errorf("activate embedder %s: %w", name, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE embedders SET active = true WHERE kind = $1 AND name = $2`, kind, name); err != nil {
		return fmt.Errorf("activate embedder %s: %w", name, err)
	}
	return nil
}

func (s *Store) LoadEmbeddings(ctx context.Context, space string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	rows, err := s.pool.Query(ctx, `SELECT text_hash, vec FROM embedding_cache WHERE space = $1 AND text_hash = ANY($2)`, space, hashes)
	if err != nil {
		return nil, classify(fmt.Errorf("load embeddings: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var blob []byte
		if err := rows.Scan(&h, &blob); err != nil {
			return nil, classify(fmt.Errorf("load embeddings: %w", err))
		}
		v, err := store.DecodeVector(blob, nil)
		if err != nil {
			return nil, fmt.Errorf("embedding %s: %w", h, err)
		}
		out[h] = v
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("load embeddings: %w", err))
	}
	return out, nil
}

func (s *Store) StoreEmbeddings(ctx context.Context, space string, vecs map[string][]float32) error {
	// Sorted, so concurrent writers of overlapping hashes lock in one order.
	hashes := make([]string, 0, len(vecs))
	for h := range vecs {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, cmp.Compare)
	return classify(s.tx(ctx, func(tx pgx.Tx) error {
		for lo := 0; lo < len(hashes); lo += chunk {
			part := hashes[lo:min(lo+chunk, len(hashes))]
			blobs := make([][]byte, len(part))
			for i, h := range part {
				blobs[i] = store.EncodeVector(vecs[h])
			}
			_, err := tx.Exec(ctx, `INSERT INTO embedding_cache (space, text_hash, vec)
				SELECT $1, u.hash, u.vec FROM unnest($2::text[], $3::bytea[]) AS u (hash, vec)
				ON CONFLICT (space, text_hash) DO UPDATE SET vec = excluded.vec`, space, part, blobs)
			if err != nil {
				return fmt.Errorf("store embeddings: %w", err)
			}
		}
		return nil
	}))
}
