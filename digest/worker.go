package digest

import (
	"context"
	"time"

	"github.com/paperpicks/paperpicks"
)

// Kick asks Run to send the digests of date now (after the daily run). It
// never blocks: when Run is busy, the request waits in a small queue, and
// the next periodic pass covers the due date anyway.
func (s *Sender) Kick(date string) {
	select {
	case s.kick <- date:
	default:
		s.log.Warn("digest kick dropped; the next pass sends it", "date", date)
	}
}

// Run sends digests until ctx is done: each date it is kicked with, and
// every interval the due date (the date whose daily run should exist now,
// as the scheduler says), which resumes a batch a crash or restart cut
// short and retries failures whose backoff ran out. A date whose every
// digest is final is not looked at again until it is kicked.
func (s *Sender) Run(ctx context.Context, interval time.Duration, due func(now time.Time) (string, bool)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	pass := func(date string, force bool) {
		if ctx.Err() != nil || (!force && s.isDone(date)) {
			return
		}
		rep, err := s.SendDate(ctx, date)
		switch {
		case paperpicks.IsCode(err, paperpicks.ECONFLICT):
			return // the daily run has not finished yet
		case err != nil && ctx.Err() == nil:
			s.log.Error("digest pass failed", "date", date, "err", err)
			return
		}
		s.setDone(date, err == nil && rep.Pending() == 0)
	}
	if date, ok := due(s.now()); ok {
		pass(date, false)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case date := <-s.kick:
			pass(date, true)
		case <-t.C:
			if date, ok := due(s.now()); ok {
				pass(date, false)
			}
		}
	}
}

func (s *Sender) isDone(date string) bool {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	return s.done[date]
}

func (s *Sender) setDone(date string, done bool) {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	if len(s.done) > 64 {
		clear(s.done)
	}
	s.done[date] = done
}
