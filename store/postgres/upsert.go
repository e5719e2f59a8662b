package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paperpicks/paperpicks/store"
)

// chunk is how many papers go in one statement: large enough that round
// trips stop mattering, small enough to bound message sizes.
const chunk = 1000

// UpsertPapers writes papers in set-based statements, a chunk at a time:
//
//  1. INSERT ... ON CONFLICT DO NOTHING RETURNING id adds the new papers;
//     an id another transaction is inserting waits for it to end.
//  2. SELECT ... FOR NO KEY UPDATE reads and locks the others, so a
//     concurrent upsert of the same paper waits and then compares against
//     what this one wrote. (NO KEY keeps vector inserts elsewhere, whose
//     foreign key check takes KEY SHARE, from waiting on it.)
//  3. One pipelined batch updates the changed papers and upserts vectors.
//
// Papers are handled in id order, so concurrent upserts lock rows in the
// same order; a repeated id starts a new chunk, so it sees the earlier
// version just as the one-by-one SQLite backend does.
func (s *Store) UpsertPapers(ctx context.Context, space string, papers []store.PaperVector, now time.Time) ([]store.Outcome, error) {
	order := make([]int, len(papers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(papers[a].Paper.ID, papers[b].Paper.ID) })
	var segs [][]int
	for k, i := range order {
		if k == 0 || len(segs[len(segs)-1]) == chunk || papers[order[k-1]].Paper.ID == papers[i].Paper.ID {
			segs = append(segs, nil)
		}
		segs[len(segs)-1] = append(segs[len(segs)-1], i)
	}

	out := make([]store.Outcome, len(papers))
	if len(papers) == 0 {
		return out, nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, seg := range segs {
			if err := upsertChunk(ctx, tx, space, papers, seg, ts(now), out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// upsertChunk upserts papers[i] for i in idx (distinct ids, in id order)
// and sets out[i].
func upsertChunk(ctx context.Context, tx pgx.Tx, space string, papers []store.PaperVector, idx []int, now pgtype.Timestamptz, out []store.Outcome) error {
	rows, err := tx.Query(ctx, `INSERT INTO papers (id, title, abstract, authors, url, published, categories, upvotes, source, text_hash, added_at, updated_at)
		SELECT u.*, $11::timestamptz, $11::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
			$7::text[], $8::int[], $9::text[], $10::text[]) AS u
		ON CONFLICT (id) DO NOTHING RETURNING id`, append(columnsOf(papers, idx), now)...)
	if err != nil {
		return fmt.Errorf("insert papers: %w", err)
	}
	added, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("insert papers: %w", err)
	}
	isAdded := make(map[string]bool, len(added))
	for _, id := range added {
		isAdded[id] = true
	}

	var rest, changed []int
	var restIDs []string
	for _, i := range idx {
		if id := papers[i].Paper.ID; isAdded[id] {
			out[i] = store.Added
		} else {
			rest = append(rest, i)
			restIDs = append(restIDs, id)
		}
	}
	if len(rest) > 0 {
		old, err := queryPapers(ctx, tx, `SELECT `+paperColumns+` FROM papers WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, restIDs)
		if err != nil {
			return fmt.Errorf("read papers: %w", err)
		}
		byID := make(map[string]int, len(old))
		for k, p := range old {
			byID[p.ID] = k
		}
		for _, i := range rest {
			p := &papers[i].Paper
			k, ok := byID[p.ID]
			switch {
			case !ok: // only a concurrent delete can do this
				return fmt.Errorf("paper %q vanished during upsert", p.ID)
			case store.SameMetadata(old[k], p):
				out[i] = store.Unchanged
			default:
				out[i] = store.Updated
				changed = append(changed, i)
			}
		}
	}

	var b pgx.Batch
	if len(changed) > 0 {
		b.Queue(`UPDATE papers p SET title = u.title, abstract = u.abstract, authors = u.authors, url = u.url,
			published = u.published, categories = u.categories, upvotes = u.upvotes, source = u.source,
			text_hash = u.text_hash, updated_at = $11::timestamptz
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
				$7::text[], $8::int[], $9::text[], $10::text[])
				AS u (id, title, abstract, authors, url, published, categories, upvotes, source, text_hash)
			WHERE p.id = u.id`, append(columnsOf(papers, changed), now)...)
	}
	var vecs []store.IDVector
	for _, i := range idx {
		if pv := &papers[i]; pv.Vector != nil {
			vecs = append(vecs, store.IDVector{ID: pv.Paper.ID, TextHash: pv.TextHash, Vector: pv.Vector})
			if out[i] == store.Unchanged {
				out[i] = store.Updated // its vector was missing or stale
			}
		}
	}
	queueVectors(&b, space, vecs)
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write papers: %w", err)
	}
	return nil
}

// columnsOf returns the papers at idx as ten column arrays, in the order
// of the unnest(...) calls above.
func columnsOf(papers []store.PaperVector, idx []int) []any {
	n := len(idx)
	ids, titles, abstracts, authors, urls := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	published, cats, upvotes, sources, hashes := make([]pgtype.Timestamptz, n), make([]string, n), make([]int, n), make([]string, n), make([]string, n)
	for k, i := range idx {
		p := &papers[i].Paper
		ids[k], titles[k], abstracts[k], authors[k], urls[k] = p.ID, p.Title, p.Abstract, store.EncodeList(p.Authors), p.URL
		published[k], cats[k], upvotes[k], sources[k], hashes[k] = ts(p.Published), store.EncodeList(p.Categories), p.Upvotes, p.Source, papers[i].TextHash
	}
	return []any{ids, titles, abstracts, authors, urls, published, cats, upvotes, sources, hashes}
}
