package rank

import (
	"context"
	"math"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// VectorSource gives the current space's vectors (the catalog's index).
type VectorSource interface {
	Name() string
	Vector(paperID string) ([]float32, bool)
}

// FeedbackStore is what feedback and profiles need from storage.
type FeedbackStore interface {
	store.Feedbacks
}

// Profiles applies thumbs to users' profiles: each event costs O(dim),
// and a profile can always be rebuilt by replaying the user's log through
// the same arithmetic, which gives the identical vector.
type Profiles struct {
	store    FeedbackStore
	vectors  func() VectorSource
	halfLife time.Duration
	now      func() time.Time
}

// NewProfiles returns the profile keeper. halfLife > 0 decays each vote's
// weight by half every halfLife (0: votes never fade).
func NewProfiles(st FeedbackStore, vectors func() VectorSource, halfLife time.Duration, now func() time.Time) *Profiles {
	if now == nil {
		now = time.Now
	}
	return &Profiles{store: st, vectors: vectors, halfLife: halfLife, now: now}
}

// Feedback records a vote and updates the profile; when it returns
// without error the event is durable. changed is false when the vote was
// already the user's current one.
func (p *Profiles) Feedback(ctx context.Context, userID, paperID string, v paperpicks.Vote) (bool, error) {
	if !v.Valid() {
		return false, paperpicks.FieldErrorf("value", "value must be \"up\", \"down\" or \"none\", got %q", v)
	}
	vs := p.vectors()
	if vs == nil {
		return false, paperpicks.NotFound("paper", paperID)
	}
	f := paperpicks.Feedback{UserID: userID, PaperID: paperID, Value: v, At: p.now().UTC().Truncate(time.Microsecond)}
	return p.store.ApplyFeedback(ctx, f, vs.Name(), func(prev *store.Vote, ps *store.ProfileSums, rebuild []paperpicks.Feedback) error {
		if rebuild != nil {
			*ps = *p.replay(userID, rebuild, vs)
			return nil
		}
		p.apply(ps, prev, f, vs)
		return nil
	})
}

// Recompute rebuilds a user's profile from their log in the current
// space and stores it.
func (p *Profiles) Recompute(ctx context.Context, userID string) (*store.ProfileSums, error) {
	vs := p.vectors()
	if vs == nil {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog has no vector space yet")
	}
	log, err := p.store.FeedbackLog(ctx, userID)
	if err != nil {
		return nil, err
	}
	ps := p.replay(userID, log, vs)
	return ps, p.store.PutProfiles(ctx, []*store.ProfileSums{ps})
}

// RecomputeAll rebuilds every profile in the current space (after the
// catalog switched spaces).
func (p *Profiles) RecomputeAll(ctx context.Context) error {
	vs := p.vectors()
	if vs == nil {
		return nil
	}
	var batch []*store.ProfileSums
	err := p.store.ScanVotes(ctx, func(userID string, _ []store.Vote) error {
		log, err := p.store.FeedbackLog(ctx, userID)
		if err != nil {
			return err
		}
		batch = append(batch, p.replay(userID, log, vs))
		if len(batch) == 500 {
			err = p.store.PutProfiles(ctx, batch)
			batch = batch[:0]
		}
		return err
	})
	if err != nil {
		return err
	}
	return p.store.PutProfiles(ctx, batch)
}

// Replay builds the profile a log leaves, in the current space, without
// storing it (bulk imports compute profiles with it).
func (p *Profiles) Replay(userID string, log []paperpicks.Feedback) (*store.ProfileSums, error) {
	vs := p.vectors()
	if vs == nil {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog has no vector space yet")
	}
	return p.replay(userID, log, vs), nil
}

// replay applies a log from scratch with exactly the arithmetic of
// incremental updates.
func (p *Profiles) replay(userID string, log []paperpicks.Feedback, vs VectorSource) *store.ProfileSums {
	ps := &store.ProfileSums{UserID: userID, Space: vs.Name()}
	state := map[string]store.Vote{}
	for _, f := range log {
		var prev *store.Vote
		if v, ok := state[f.PaperID]; ok {
			prev = &v
		}
		if (prev == nil && f.Value == paperpicks.VoteNone) || (prev != nil && prev.Value == f.Value) {
			continue // the store does not change the profile for these either
		}
		p.apply(ps, prev, f, vs)
		if f.Value == paperpicks.VoteNone {
			delete(state, f.PaperID)
		} else {
			state[f.PaperID] = store.Vote{PaperID: f.PaperID, Value: f.Value, At: f.At}
		}
	}
	return ps
}

// apply moves the sums to time f.At (decaying them), takes back the
// previous vote of the paper with its decayed weight, and adds the new one.
func (p *Profiles) apply(ps *store.ProfileSums, prev *store.Vote, f paperpicks.Feedback, vs VectorSource) {
	vec, ok := vs.Vector(f.PaperID)
	dim := len(vec)
	if ps.UpSum == nil || (ok && len(ps.UpSum) != dim) {
		if !ok {
			return // no vector in this space: the vote is kept, the profile waits for a reindex
		}
		ps.UpSum, ps.DownSum = make([]float32, dim), make([]float32, dim)
	}
	t := f.At
	if t.Before(ps.RefTime) {
		t = ps.RefTime
	}
	if p.halfLife > 0 && !ps.RefTime.IsZero() && t.After(ps.RefTime) {
		k := math.Exp2(-float64(t.Sub(ps.RefTime)) / float64(p.halfLife))
		scaleInPlace(ps.UpSum, k)
		scaleInPlace(ps.DownSum, k)
		ps.UpW *= k
		ps.DownW *= k
	}
	ps.RefTime, ps.UpdatedAt = t, f.At
	if !ok {
		return
	}
	if prev != nil {
		w := 1.0
		if p.halfLife > 0 && t.After(prev.At) {
			w = math.Exp2(-float64(t.Sub(prev.At)) / float64(p.halfLife))
		}
		if prev.Value == paperpicks.VoteUp {
			axpy(ps.UpSum, vec, float32(-w))
			ps.UpW = math.Max(0, ps.UpW-w)
		} else {
			axpy(ps.DownSum, vec, float32(-w))
			ps.DownW = math.Max(0, ps.DownW-w)
		}
	}
	switch f.Value {
	case paperpicks.VoteUp:
		axpy(ps.UpSum, vec, 1)
		ps.UpW++
	case paperpicks.VoteDown:
		axpy(ps.DownSum, vec, 1)
		ps.DownW++
	}
}

func scaleInPlace(v []float32, k float64) {
	for i := range v {
		v[i] = float32(float64(v[i]) * k)
	}
}

// SignalsOf turns stored sums into a strategy's input; sums below this
// weight are what rounding leaves after every vote was taken back.
func SignalsOf(ps *store.ProfileSums) *Signals {
	s := &Signals{UpSum: ps.UpSum, DownSum: ps.DownSum, UpW: ps.UpW, DownW: ps.DownW}
	if s.UpW < 1e-6 {
		s.UpW = 0
	}
	if s.DownW < 1e-6 {
		s.DownW = 0
	}
	return s
}
