package rank

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/store"
)

// RankerStore is what the daily run reads and writes.
type RankerStore interface {
	ProfileStore
	TrendingStore
	ModelStore
	ListUsers(ctx context.Context) ([]*paperpicks.User, error)
	ScanVotes(ctx context.Context, fn func(userID string, votes []store.Vote) error) error
	SavePicks(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error
	ScanPicked(ctx context.Context, before string, fn func(userID string, paperIDs []string) error) error
	StartRun(ctx context.Context, date string, at, cutoff time.Time) (*store.Run, error)
	FinishRun(ctx context.Context, r *store.Run) error
	GetRun(ctx context.Context, date string) (*store.Run, error)
}

// DailyConfig shapes the daily run.
type DailyConfig struct {
	Window           time.Duration // papers that arrived this long before the cutoff are candidates
	Strategy         Strategy
	Diversity        float64 // MMR weight of novelty in [0, 1); 0 ranks by score alone
	TrendingDays     int
	TrendingHalfLife time.Duration
	Learn            LearnConfig // training of the learned strategy's model
}

// Ranker computes every user's picks for a date.
type Ranker struct {
	store  RankerStore
	spaces func() *catalog.Space
	cfg    DailyConfig
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex // one run at a time
	// OnRun, when set, sees every finished run and its duration (metrics).
	OnRun func(r *store.Run, took time.Duration)
	stats RunStats
}

// RunStats says where the last run's time went.
type RunStats struct {
	Candidates int
	Profiles   int           // users ranked by their profile
	Load       time.Duration // users, votes and earlier picks read
	Build      time.Duration // profiles built by the strategy
	Score      time.Duration // the batched product and top-k
	Choose     time.Duration // diversity, reasons, trending and fill
	Save       time.Duration // picks written
}

// LastStats returns the phases of the last finished run.
func (r *Ranker) LastStats() RunStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// NewRanker returns a ranker over the catalog's current space.
func NewRanker(st RankerStore, spaces func() *catalog.Space, cfg DailyConfig, log *slog.Logger, now func() time.Time) *Ranker {
	if cfg.Window <= 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Strategy == nil {
		cfg.Strategy = Mean{}
	}
	if cfg.TrendingDays <= 0 {
		cfg.TrendingDays = 7
	}
	if cfg.Learn.Epochs == 0 {
		cfg.Learn = DefaultLearnConfig()
	}
	if now == nil {
		now = time.Now
	}
	return &Ranker{store: st, spaces: spaces, cfg: cfg, log: log, now: now}
}

// Config returns the run's configuration.
func (r *Ranker) Config() DailyConfig { return r.cfg }

// ParseDate checks a YYYY-MM-DD date.
func ParseDate(date string) (time.Time, error) {
	t, err := time.Parse(paperpicks.DateLayout, date)
	if err != nil {
		return time.Time{}, paperpicks.FieldErrorf("date", "date %q is not a date like 2026-11-27", date)
	}
	return t, nil
}

// RunDaily computes and stores every user's picks for date. The first run
// of a date fixes its cutoff (papers that arrived before it are
// candidates); a rerun keeps that cutoff and so yields the same picks,
// replacing undelivered ones and never duplicating. The run's record says
// how it went; a failed run is recorded and returned as an error.
func (r *Ranker) RunDaily(ctx context.Context, date string) (*store.Run, error) {
	if _, err := ParseDate(date); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	start, wall := r.now(), time.Now() // the record's times follow the clock; durations are wall time
	cutoff := start
	if prev, err := r.store.GetRun(ctx, date); err == nil && !prev.Cutoff.IsZero() {
		cutoff = prev.Cutoff
	} else if err != nil && !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		return nil, err
	}
	run, err := r.store.StartRun(ctx, date, start, cutoff)
	if err != nil {
		return nil, err
	}
	r.log.Info("daily run started", "date", date, "cutoff", run.Cutoff)
	users, picks, err := r.rank(ctx, date, run.Cutoff)
	run.FinishedAt, run.Users, run.Picks, run.Status = r.now(), users, picks, "ok"
	if err != nil {
		run.Status, run.Error = "failed", err.Error()
	}
	// Record the outcome even when ctx was cancelled mid-run.
	if ferr := r.store.FinishRun(context.WithoutCancel(ctx), run); ferr != nil && err == nil {
		err = ferr
	}
	took := time.Since(wall)
	if r.OnRun != nil {
		r.OnRun(run, took)
	}
	if err != nil {
		r.log.Error("daily run failed", "date", date, "err", err, "took_ms", took.Milliseconds())
		return run, err
	}
	r.log.Info("daily run finished", "date", date, "users", users, "picks", picks, "took_ms", took.Milliseconds())
	return run, nil
}

// userState is what one user's picks are chosen from.
type userState struct {
	user  *paperpicks.User
	seen  []string // voted or picked before, among the papers this run may pick: never picked again
	liked []int32  // up votes as index rows, to explain picks
	picks []paperpicks.Pick
}

func (u *userState) hasSeen(id string) bool {
	for _, s := range u.seen {
		if s == id {
			return true
		}
	}
	for _, p := range u.picks {
		if p.PaperID == id {
			return true
		}
	}
	return false
}

// recentPool is how many of the newest papers are kept for filling picks.
const recentPool = 500

func (r *Ranker) rank(ctx context.Context, date string, cutoff time.Time) (int, int, error) {
	r.stats = RunStats{}
	phase := time.Now()
	lap := func(d *time.Duration) { *d = time.Since(phase); phase = time.Now() }
	sp := r.spaces()
	if sp == nil {
		return 0, 0, nil // an empty catalog has nothing to pick
	}
	list, err := r.store.ListUsers(ctx)
	if err != nil {
		return 0, 0, err
	}
	states := make(map[string]*userState, len(list))
	for _, u := range list {
		states[u.ID] = &userState{user: u}
	}
	// Only papers this run may pick are worth remembering as seen: the
	// candidates, trending and the recent ones that fill. At 100k users
	// with millions of votes, keeping every id would cost hundreds of MB.
	candIDs, cands := sp.Index.Since(cutoff.Add(-r.cfg.Window), cutoff.Add(time.Second))
	trending, err := Trending(ctx, r.store, sp.Index, cutoff, r.cfg.TrendingDays, r.cfg.TrendingHalfLife, 200)
	if err != nil {
		return 0, 0, err
	}
	recent := sp.Index.Recent(recentPool, cutoff.Add(time.Second), nil)
	pickable := make(map[string]bool, len(candIDs)+len(trending)+len(recent))
	for _, id := range candIDs {
		pickable[id] = true
	}
	for _, t := range trending {
		pickable[t.PaperID] = true
	}
	for _, id := range recent {
		pickable[id] = true
	}
	err = r.store.ScanVotes(ctx, func(uid string, votes []store.Vote) error {
		st := states[uid]
		if st == nil {
			return nil
		}
		var up []string
		for _, v := range votes {
			if pickable[v.PaperID] {
				st.seen = append(st.seen, v.PaperID)
			}
			if v.Value == paperpicks.VoteUp {
				up = append(up, v.PaperID)
			}
		}
		st.liked = sp.Index.Rows(up)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	err = r.store.ScanPicked(ctx, date, func(uid string, ids []string) error {
		if st := states[uid]; st != nil {
			for _, id := range ids {
				if pickable[id] {
					st.seen = append(st.seen, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}

	r.stats.Candidates = cands.Rows
	lap(&r.stats.Load)
	if err := r.personal(ctx, sp, states, candIDs, cands); err != nil {
		return 0, 0, err
	}
	phase = time.Now()

	byUser := make(map[string][]paperpicks.Pick, len(states))
	total := 0
	for _, st := range states {
		k := st.user.PicksPerDay
		if len(st.liked) == 0 {
			for _, t := range trending {
				if len(st.picks) == k {
					break
				}
				if !st.hasSeen(t.PaperID) {
					st.picks = append(st.picks, paperpicks.Pick{PaperID: t.PaperID, Score: t.Score, Kind: paperpicks.PickTrending})
				}
			}
		}
		for _, id := range recent {
			if len(st.picks) >= k {
				break
			}
			if !st.hasSeen(id) {
				st.picks = append(st.picks, paperpicks.Pick{PaperID: id, Kind: paperpicks.PickFilled})
			}
		}
		for i := range st.picks {
			st.picks[i].UserID, st.picks[i].Date, st.picks[i].Rank = st.user.ID, date, i+1
		}
		byUser[st.user.ID] = st.picks
		total += len(st.picks)
	}
	r.stats.Choose += time.Since(phase)
	phase = time.Now()
	if err := r.save(ctx, date, byUser); err != nil {
		return 0, 0, err
	}
	lap(&r.stats.Save)
	return len(states), total, nil
}

// personal ranks the candidates for every user with a profile, in
// batched products a block of users at a time, and fills st.picks with
// their best unseen ones.
func (r *Ranker) personal(ctx context.Context, sp *catalog.Space, states map[string]*userState, candIDs []string, cands Matrix) error {
	if cands.Rows == 0 {
		return nil
	}
	start := time.Now()
	g, err := r.global(ctx, sp)
	if err != nil {
		return err
	}
	candPos := make(map[string]int32, len(candIDs))
	for i, id := range candIDs {
		candPos[id] = int32(i)
	}
	kmax := 1
	for _, st := range states {
		kmax = max(kmax, st.user.PicksPerDay)
	}
	pool := kmax
	if r.cfg.Diversity > 0 {
		pool = 3 * kmax // MMR re-ranks a larger head
	}
	// The candidates a user has seen (usually none).
	exclude := func(uid string) []int32 {
		st := states[uid]
		if st == nil {
			return nil
		}
		var out []int32
		for _, id := range st.seen {
			if c, ok := candPos[id]; ok {
				out = append(out, c)
			}
		}
		return out
	}
	var choosing time.Duration
	choose := func(users []string, top [][]Scored) error {
		begin := time.Now()
		defer func() { choosing += time.Since(begin) }()
		var wg sync.WaitGroup
		next := make(chan int, len(users))
		for i := range users {
			next <- i
		}
		close(next)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Go(func() {
				for i := range next {
					if st := states[users[i]]; st != nil {
						r.pickPersonal(sp, st, top[i], candIDs, cands)
					}
				}
			})
		}
		wg.Wait()
		return ctx.Err()
	}
	n, scoring, err := RankProfiles(ctx, r.store, sp, r.cfg.Strategy, g, cands, pool, exclude, choose)
	r.stats.Profiles, r.stats.Score, r.stats.Choose = n, scoring, choosing
	r.stats.Build = time.Since(start) - scoring - choosing
	return err
}

// pickPersonal turns a user's ranked candidates into their picks, each
// with the liked paper closest to it as the reason.
func (r *Ranker) pickPersonal(sp *catalog.Space, st *userState, ranked []Scored, candIDs []string, cands Matrix) {
	if r.cfg.Diversity > 0 {
		ranked = mmr(ranked, cands, st.user.PicksPerDay, 1-r.cfg.Diversity)
	}
	if len(ranked) > st.user.PicksPerDay {
		ranked = ranked[:st.user.PicksPerDay]
	}
	for _, s := range ranked {
		p := paperpicks.Pick{PaperID: candIDs[s.Cand], Score: float64(s.Score), Kind: paperpicks.PickPersonal}
		if why, _, ok := sp.Index.BestMatchRows(st.liked, cands.Row(s.Cand)); ok {
			p.Reason = why
		}
		st.picks = append(st.picks, p)
	}
}

// mmr re-ranks by maximal marginal relevance: each next pick maximizes
// lambda·score − (1−lambda)·(its largest similarity to the picks so far),
// trading a little relevance for not recommending five near-duplicates.
func mmr(pool []Scored, cands Matrix, k int, lambda float64) []Scored {
	rest := append([]Scored(nil), pool...)
	var out []Scored
	for len(out) < k && len(rest) > 0 {
		best, bestVal := 0, 0.0
		for i, c := range rest {
			maxSim := 0.0
			for _, o := range out {
				maxSim = max(maxSim, float64(dot(cands.Row(c.Cand), cands.Row(o.Cand))))
			}
			v := lambda*float64(c.Score) - (1-lambda)*maxSim
			if i == 0 || v > bestVal {
				best, bestVal = i, v
			}
		}
		out = append(out, rest[best])
		rest = append(rest[:best], rest[best+1:]...)
	}
	return out
}

// saveBatch bounds how many users' picks one transaction writes.
const saveBatch = 2000

func (r *Ranker) save(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error {
	ids := make([]string, 0, len(byUser))
	for id := range byUser {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for lo := 0; lo < len(ids); lo += saveBatch {
		part := make(map[string][]paperpicks.Pick, saveBatch)
		for _, id := range ids[lo:min(lo+saveBatch, len(ids))] {
			part[id] = byUser[id]
		}
		if err := r.store.SavePicks(ctx, date, part); err != nil {
			return fmt.Errorf("save picks: %w", err)
		}
	}
	return nil
}

// global is what the strategy needs besides the profiles: the catalog
// mean, and for the strategies that transform candidates, the space's
// stored model. Without one (a new space) the whitening is computed now,
// which takes seconds; learning waits for Train after the run.
func (r *Ranker) global(ctx context.Context, sp *catalog.Space) (*Global, error) {
	mean := sp.Index.Mean()
	if !NeedsModel(r.cfg.Strategy) {
		return &Global{CatalogMean: mean}, nil
	}
	m, err := LoadModel(ctx, r.store, sp.Name())
	if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		m, err = TrainModel(ctx, r.store, sp, false, DefaultLearnConfig(), r.now())
	}
	if err != nil {
		return nil, err
	}
	return m.Global(mean), nil
}

// NeedsModel reports whether a strategy reads a stored model: those that
// transform candidates, and the per-user linear model.
func NeedsModel(s Strategy) bool {
	if _, ok := s.(CandidateTransformer); ok {
		return true
	}
	m, ok := s.(interface{ NeedsModel() bool })
	return ok && m.NeedsModel()
}

// Train learns the current space's model from every user's likes and
// stores it for the next runs. It takes minutes on a large catalog, so it
// runs after a daily run, not inside one.
func (r *Ranker) Train(ctx context.Context) (*Model, error) {
	sp := r.spaces()
	if sp == nil {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog is empty")
	}
	if !NeedsModel(r.cfg.Strategy) {
		return nil, nil // the strategy needs no model
	}
	start := time.Now()
	m, err := TrainModel(ctx, r.store, sp, true, r.cfg.Learn, r.now())
	if err != nil {
		return nil, err
	}
	r.log.Info("model trained", "space", m.Space, "likes", m.Likes, "took_ms", time.Since(start).Milliseconds())
	return m, nil
}

// TrainIfStale trains when the stored model is older than maxAge or
// missing a learned transform.
func (r *Ranker) TrainIfStale(ctx context.Context, maxAge time.Duration) error {
	sp := r.spaces()
	if sp == nil {
		return nil
	}
	if m, err := LoadModel(ctx, r.store, sp.Name()); err == nil && m.Learned != nil && r.now().Sub(m.TrainedAt) < maxAge {
		return nil
	}
	_, err := r.Train(ctx)
	return err
}
