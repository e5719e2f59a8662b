package rank

import (
	"context"
	"slices"
	"time"

	"github.com/paperpicks/paperpicks/index"
	"github.com/paperpicks/paperpicks/store"
)

// ProfileStore is what building profiles reads.
type ProfileStore interface {
	ScanProfiles(ctx context.Context, fn func(*store.ProfileSums) error) error
	Votes(ctx context.Context, userID string) ([]store.Vote, error)
}

// CandidateTransformer is implemented by strategies that score in a
// transformed space: score = w·(A x). The transform is applied to the
// candidate matrix once per run, so ranking stays one batched product.
type CandidateTransformer interface {
	TransformCandidates(g *Global, cands Matrix) Matrix
}

// rankBlock is how many users' profiles are held and ranked at once: at
// 512 dimensions 8 MB, where all 100k users' would be 200 MB for the
// length of the run.
var rankBlock = 4096

// RankProfiles turns every stored profile of space into strategy's
// profile and ranks cands for it, a block of users at a time: fn gets each
// block's users and their top k (indices into cands, best first). exclude,
// when set, gives the candidates a user must not get (already seen). Users
// whose signals are too weak (no up votes) are left out: they get
// trending picks instead. g holds the catalog-wide inputs (the catalog
// mean, and a model's transforms for the strategies that use them); the
// mean liked vector over all users is added here. It returns how many
// users were ranked and the time spent scoring.
func RankProfiles(ctx context.Context, st ProfileStore, vs VectorSource, strategy Strategy, g *Global, cands Matrix, k int,
	exclude func(userID string) []int32, fn func(users []string, top [][]Scored) error) (int, time.Duration, error) {
	g = &Global{CatalogMean: g.CatalogMean, Whitening: g.Whitening, Learned: g.Learned}
	// The profiles are read twice rather than held: at 100k users their
	// running sums are 400 MB. First the mean liked vector over all users,
	// each like weighted equally.
	var total float64
	err := st.ScanProfiles(ctx, func(p *store.ProfileSums) error {
		if p.Space != vs.Name() || p.UpW <= 1e-6 {
			return nil
		}
		if g.LikesMean == nil {
			g.LikesMean = make([]float32, len(p.UpSum))
		}
		axpy(g.LikesMean, p.UpSum, 1)
		total += p.UpW
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if total > 0 {
		g.LikesMean = scaled(g.LikesMean, 1/total)
	}
	if t, ok := strategy.(CandidateTransformer); ok {
		cands = t.TransformCandidates(g, cands)
	}

	// Then each profile as it streams by, ranked when a block is full.
	ranked, scoring := 0, time.Duration(0)
	var users []string
	var queries [][][]float32
	flush := func() error {
		if len(users) == 0 {
			return nil
		}
		var skip func(u, c int) bool
		if exclude != nil {
			excluded := make([][]int32, len(users))
			for u, id := range users {
				excluded[u] = exclude(id)
			}
			skip = func(u, c int) bool { return slices.Contains(excluded[u], int32(c)) }
		}
		start := time.Now()
		top, err := index.TopK(ctx, queries, cands, k, skip)
		scoring += time.Since(start)
		if err == nil {
			err = fn(users, top)
		}
		ranked += len(users)
		users, queries = users[:0], queries[:0]
		return err
	}
	add := func(userID string, sig *Signals) error {
		prof, ok := strategy.Build(sig, g)
		if !ok {
			return nil
		}
		users, queries = append(users, userID), append(queries, prof.Vectors)
		if len(users) == rankBlock {
			return flush()
		}
		return nil
	}
	// Strategies that need the liked vectors keep the sums until the scan
	// is over, as their votes are read with further queries.
	var needLiked []*store.ProfileSums
	err = st.ScanProfiles(ctx, func(p *store.ProfileSums) error {
		switch {
		case p.Space != vs.Name():
		case strategy.NeedsLiked():
			needLiked = append(needLiked, p)
		default:
			return add(p.UserID, SignalsOf(p))
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, p := range needLiked {
		sig := SignalsOf(p)
		votes, err := st.Votes(ctx, p.UserID)
		if err != nil {
			return 0, 0, err
		}
		for _, v := range votes {
			if v.Value != "up" {
				continue
			}
			if vec, ok := vs.Vector(v.PaperID); ok {
				sig.Liked = append(sig.Liked, Voted{PaperID: v.PaperID, Vector: vec})
			}
		}
		if err := add(p.UserID, sig); err != nil {
			return 0, 0, err
		}
	}
	if err := flush(); err != nil {
		return 0, 0, err
	}
	return ranked, scoring, nil
}

// CatalogMean is the mean of the vectors in m.
func CatalogMean(m Matrix) []float32 {
	mean := make([]float64, m.Dim)
	for i := 0; i < m.Rows; i++ {
		for j, x := range m.Row(i) {
			mean[j] += float64(x)
		}
	}
	out := make([]float32, m.Dim)
	for j := range mean {
		out[j] = float32(mean[j] / float64(max(m.Rows, 1)))
	}
	return out
}
