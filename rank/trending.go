package rank

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/paperpicks/paperpicks/store"
)

// TrendingStore is what trending reads.
type TrendingStore interface {
	UpVotesSince(ctx context.Context, since, now time.Time, halfLife time.Duration) (map[string]store.UpVotes, error)
}

// Arrivals tells when papers arrived, to break ties by recency.
type Arrivals interface {
	AddedAt(id string) (time.Time, bool)
}

// TrendItem is one trending paper.
type TrendItem struct {
	PaperID string  `json:"paper_id"`
	Score   float64 `json:"score"`
	Votes   int     `json:"votes"`
}

// Trending ranks papers by the thumbs-up they got from all users within
// the last days, each thumbs-up weighted 2^(-age/halfLife) so fresh
// interest counts more; ties go to the paper that arrived last.
func Trending(ctx context.Context, st TrendingStore, arrivals Arrivals, now time.Time, days int, halfLife time.Duration, k int) ([]TrendItem, error) {
	up, err := st.UpVotesSince(ctx, now.Add(-time.Duration(days)*24*time.Hour), now, halfLife)
	if err != nil {
		return nil, err
	}
	items := make([]TrendItem, 0, len(up))
	added := make(map[string]time.Time, len(up))
	for id, v := range up {
		at, ok := arrivals.AddedAt(id)
		if !ok {
			continue // not in the current space (or deleted): cannot be shown
		}
		items = append(items, TrendItem{PaperID: id, Votes: v.Votes, Score: v.Score})
		added[id] = at
	}
	sort.Slice(items, func(a, b int) bool {
		ia, ib := items[a], items[b]
		if math.Abs(ia.Score-ib.Score) > 1e-12 {
			return ia.Score > ib.Score
		}
		if !added[ia.PaperID].Equal(added[ib.PaperID]) {
			return added[ia.PaperID].After(added[ib.PaperID])
		}
		return ia.PaperID < ib.PaperID
	})
	if len(items) > k {
		items = items[:k]
	}
	return items, nil
}
