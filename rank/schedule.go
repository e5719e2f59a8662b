package rank

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/paperpicks/paperpicks"
)

// Source is a paper source fetched on a schedule and before each daily run.
type Source struct {
	URL      string `toml:"url"`
	Format   string `toml:"format"`   // "" or "auto" to detect
	Schedule string `toml:"schedule"` // cron spec; "" = only before the daily run
}

// Fetcher ingests one source (the catalog's ingest code).
type Fetcher func(ctx context.Context, src Source) error

// ScheduleConfig says when the daily run happens.
type ScheduleConfig struct {
	Spec     string // cron spec, e.g. "0 6 * * *"
	TimeZone string // IANA name the spec is read in
	// RetryAfter is how long a failed run waits before the next attempt.
	RetryAfter time.Duration
	Sources    []Source
}

// Scheduler adds timing to the daily run and the sources. All decisions
// are made by Tick from the injected clock, so tests can drive it across
// midnights, daylight-saving changes and downtime; robfig/cron only wakes
// it up at the scheduled times and once a minute for catch-up and retries.
type Scheduler struct {
	ranker  *Ranker
	fetch   Fetcher
	log     *slog.Logger
	now     func() time.Time
	spec    cron.Schedule
	loc     *time.Location
	retry   time.Duration
	sources []scheduledSource

	mu       sync.Mutex // one Tick at a time
	afterRun []func(ctx context.Context, date string) error
	cron     *cron.Cron
	cronCtx  context.Context
	cronStop context.CancelFunc
	catchUp  sync.WaitGroup
}

type scheduledSource struct {
	Source
	spec      cron.Schedule // nil: only before the daily run
	lastFetch time.Time
}

// NewScheduler validates the schedule and the sources' specs.
func NewScheduler(cfg ScheduleConfig, ranker *Ranker, fetch Fetcher, log *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if now == nil {
		now = time.Now
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil || cfg.TimeZone == "" {
		return nil, paperpicks.FieldErrorf("rank.time_zone", "rank.time_zone %q is not an IANA time zone name", cfg.TimeZone)
	}
	spec, err := parseSpec(cfg.Spec, loc)
	if err != nil {
		return nil, paperpicks.FieldErrorf("rank.schedule", "rank.schedule %q is not a cron spec: %v", cfg.Spec, err)
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Minute
	}
	s := &Scheduler{ranker: ranker, fetch: fetch, log: log, now: now, spec: spec, loc: loc, retry: cfg.RetryAfter}
	for i, src := range cfg.Sources {
		ss := scheduledSource{Source: src}
		if src.URL == "" {
			return nil, paperpicks.FieldErrorf("sources", "source %d has no url", i+1)
		}
		if src.Schedule != "" {
			if ss.spec, err = parseSpec(src.Schedule, loc); err != nil {
				return nil, paperpicks.FieldErrorf("sources", "source %s: schedule %q is not a cron spec: %v", src.URL, src.Schedule, err)
			}
		}
		s.sources = append(s.sources, ss)
	}
	return s, nil
}

func parseSpec(spec string, loc *time.Location) (cron.Schedule, error) {
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sched, err := p.Parse(spec)
	if err != nil {
		return nil, err
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	return sched, nil
}

// AfterRun registers fn to run after each successful daily run (the digest).
func (s *Scheduler) AfterRun(fn func(ctx context.Context, date string) error) {
	s.afterRun = append(s.afterRun, fn)
}

// lookback bounds how far Tick searches for a missed scheduled time.
const lookback = 8 * 24 * time.Hour

// lastFire returns the latest time at or before now that spec fires at,
// within lookback; zero if none.
func lastFire(spec cron.Schedule, now time.Time) time.Time {
	var last time.Time
	t := now.Add(-lookback)
	for i := 0; i < 20000; i++ {
		n := spec.Next(t)
		if n.IsZero() || n.After(now) {
			break
		}
		last, t = n, n
	}
	return last
}

// DueDate returns the date whose daily run should exist at now: the date,
// in the schedule's time zone, of the latest scheduled time that has
// passed. ok is false before any scheduled time.
func (s *Scheduler) DueDate(now time.Time) (string, bool) {
	fire := lastFire(s.spec, now)
	if fire.IsZero() {
		return "", false
	}
	return fire.In(s.loc).Format(paperpicks.DateLayout), true
}

// Tick does what is due at the clock's now: fetches sources whose own
// schedule fired since their last fetch, and runs the due date's daily
// run when it has no successful record (a missed time, a failed run after
// RetryAfter, or a run that crashed midway), after fetching every source.
// Only the latest missed date is caught up.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := range s.sources {
		src := &s.sources[i]
		if src.spec == nil {
			continue
		}
		if fire := lastFire(src.spec, now); !fire.IsZero() && src.lastFetch.Before(fire) {
			s.fetchSource(ctx, src, now)
		}
	}
	date, ok := s.DueDate(now)
	if !ok {
		return nil
	}
	run, err := s.ranker.store.GetRun(ctx, date)
	switch {
	case err != nil && !paperpicks.IsCode(err, paperpicks.ENOTFOUND):
		return err
	case err == nil && run.Status == "ok":
		return nil
	case err == nil && run.Status == "failed" && now.Sub(run.FinishedAt) < s.retry:
		return nil
	case err == nil && run.Status == "running" && s.ranker.mu.TryLock():
		// A "running" record no run of ours holds is a crashed run: redo it.
		s.ranker.mu.Unlock()
	case err == nil && run.Status == "running":
		return nil // our own run is still going
	}
	for i := range s.sources {
		s.fetchSource(ctx, &s.sources[i], now)
	}
	if _, err := s.ranker.RunDaily(ctx, date); err != nil {
		return err
	}
	for _, fn := range s.afterRun {
		if err := fn(ctx, date); err != nil {
			s.log.Error("after daily run", "date", date, "err", err)
		}
	}
	return nil
}

// fetchSource ingests one source; a failing source is logged and retried
// at its next scheduled time, and never stops the daily run.
func (s *Scheduler) fetchSource(ctx context.Context, src *scheduledSource, now time.Time) {
	start := time.Now()
	err := s.fetch(ctx, src.Source)
	src.lastFetch = now
	if err != nil {
		s.log.Error("source fetch failed", "url", src.URL, "err", err, "took_ms", time.Since(start).Milliseconds())
		return
	}
	s.log.Info("source fetched", "url", src.URL, "took_ms", time.Since(start).Milliseconds())
}

// Start catches up at once, then ticks at the daily run's time, at each
// source's time, and every minute (for retries), until Stop. Ticks never
// overlap (SkipIfStillRunning) and a panic in one is logged, not fatal.
func (s *Scheduler) Start(ctx context.Context) {
	s.cronCtx, s.cronStop = context.WithCancel(ctx)
	logger := cronLogger{s.log}
	s.cron = cron.New(cron.WithLocation(s.loc), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	job := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)).Then(cron.FuncJob(func() {
		if err := s.Tick(s.cronCtx); err != nil && s.cronCtx.Err() == nil {
			s.log.Error("scheduled tick failed", "err", err)
		}
	}))
	s.cron.Schedule(s.spec, job)
	for _, src := range s.sources {
		if src.spec != nil {
			s.cron.Schedule(src.spec, job)
		}
	}
	s.cron.Schedule(cron.Every(time.Minute), job)
	s.cron.Start()
	s.catchUp.Go(job.Run) // catch up now
}

// Stop stops the schedule: no new tick starts; a running one may finish
// until ctx is done, then it is cancelled through its context (a run
// records itself as failed and is retried at the next start). Stop returns
// when no tick is running.
func (s *Scheduler) Stop(ctx context.Context) {
	if s.cron == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		<-s.cron.Stop().Done()
		s.catchUp.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.cronStop()
		<-done
	}
	s.cronStop()
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
