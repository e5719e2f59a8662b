package rank

import (
	"context"

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

// Profiles built for a run: Users[i] is ranked with Profiles[i].
type Built struct {
	Users    []string
	Profiles []Profile
	Global   *Global
}

// BuildProfiles turns every stored profile of space into strategy's
// profile. Users whose signals are too weak (no up votes) are left out:
// they get trending picks instead. g holds the catalog-wide inputs (the
// catalog mean, and a model's transforms for the strategies that use
// them); BuildProfiles adds the mean liked vector over all users.
func BuildProfiles(ctx context.Context, st ProfileStore, vs VectorSource, strategy Strategy, g *Global) (*Built, error) {
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
		return nil, err
	}
	if total > 0 {
		g.LikesMean = scaled(g.LikesMean, 1/total)
	}
	// Then each profile as it streams by. Strategies that need the liked
	// vectors keep the sums until the scan is over, as their votes are
	// read with further queries.
	b := &Built{Global: g}
	add := func(userID string, sig *Signals) {
		if prof, ok := strategy.Build(sig, g); ok {
			b.Users = append(b.Users, userID)
			b.Profiles = append(b.Profiles, prof)
		}
	}
	var needLiked []*store.ProfileSums
	err = st.ScanProfiles(ctx, func(p *store.ProfileSums) error {
		switch {
		case p.Space != vs.Name():
		case strategy.NeedsLiked():
			needLiked = append(needLiked, p)
		default:
			add(p.UserID, SignalsOf(p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range needLiked {
		sig := SignalsOf(p)
		votes, err := st.Votes(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		for _, v := range votes {
			if v.Value != "up" {
				continue
			}
			if vec, ok := vs.Vector(v.PaperID); ok {
				sig.Liked = append(sig.Liked, Voted{PaperID: v.PaperID, Vector: vec})
			}
		}
		add(p.UserID, sig)
	}
	return b, nil
}

// Rank scores the built profiles against candidates with the batched
// kernel and returns each user's top k (candidate indices into cands).
// skip hides candidates per user (already seen).
func (b *Built) Rank(ctx context.Context, strategy Strategy, cands Matrix, k int, skip func(user, cand int) bool) ([][]Scored, error) {
	if t, ok := strategy.(CandidateTransformer); ok {
		cands = t.TransformCandidates(b.Global, cands)
	}
	queries := make([][][]float32, len(b.Profiles))
	for i, p := range b.Profiles {
		queries[i] = p.Vectors
	}
	return index.TopK(ctx, queries, cands, k, skip)
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
