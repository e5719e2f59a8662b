package digest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const day = "2026-11-02"

var t0 = time.Date(2026, 11, 2, 6, 5, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock    { return &clock{t: t} }
func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// env is a store with papers, users and their picks of day (the daily run
// recorded as done), and an SMTP server to send to.
type env struct {
	st    *sqlite.Store
	smtp  *digesttest.Server
	clock *clock
	users []*paperpicks.User
}

// newEnv makes n users u0…u(n-1) with address uI@example.org and the
// digest on, each with three picks of day.
func newEnv(t testing.TB, n int, opt digesttest.Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, smtp: digesttest.Start(t, opt), clock: newClock(t0)}
	var papers []store.PaperVector
	for i := range 5 {
		p := paperpicks.Paper{ID: fmt.Sprintf("2611.%05d", i), Title: fmt.Sprintf("Paper number %d on graphs", i),
			Abstract: "We study graphs. " + fmt.Sprint(i), Authors: []string{"Ada Lovelace", "Alan Turing"}, URL: fmt.Sprintf("https://arxiv.org/abs/2611.%05d", i)}
		papers = append(papers, store.PaperVector{Paper: p, TextHash: paperpicks.TextHash(p.Text()), Vector: []float32{1, 0}})
	}
	if _, err := st.UpsertPapers(ctx, "sp", papers, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	byUser := map[string][]paperpicks.Pick{}
	for i := range n {
		u := &paperpicks.User{ID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.org", i), TimeZone: "UTC", PicksPerDay: 3, Digest: true, CreatedAt: t0.Add(-time.Hour)}
		if err := st.CreateUser(ctx, u, "h"+u.ID); err != nil {
			t.Fatal(err)
		}
		e.users = append(e.users, u)
		byUser[u.ID] = []paperpicks.Pick{
			{Rank: 1, PaperID: "2611.00001", Score: 0.9, Reason: "2611.00000", Kind: paperpicks.PickPersonal},
			{Rank: 2, PaperID: "2611.00002", Score: 0.8, Kind: paperpicks.PickTrending},
			{Rank: 3, PaperID: "2611.00003", Score: 0.7, Kind: paperpicks.PickFilled},
		}
	}
	if err := st.SavePicks(ctx, day, byUser); err != nil {
		t.Fatal(err)
	}
	e.finishRun(t, day)
	return e
}

func (e *env) finishRun(t testing.TB, date string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.st.StartRun(ctx, date, t0, t0); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, &store.Run{Date: date, FinishedAt: t0, Status: "ok"}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) config() digest.Config {
	return digest.Config{
		SMTP:    digest.SMTPConfig{Host: e.smtp.Host, Port: e.smtp.Port, TLS: "none", From: "paperpicks <picks@example.org>", Timeout: 5 * time.Second},
		BaseURL: "https://picks.example.org", Secret: []byte("0123456789abcdef0123456789abcdef"),
		MaxAttempts: 3, RetryBackoff: time.Minute,
	}
}

// sender returns a sender over st (e.st when nil) with mailer m (SMTP to
// e.smtp when nil).
func (e *env) sender(t testing.TB, cfg digest.Config, st digest.Store, m digest.Mailer) *digest.Sender {
	t.Helper()
	if st == nil {
		st = e.st
	}
	if m == nil {
		var err error
		if m, err = digest.NewSMTP(cfg.SMTP); err != nil {
			t.Fatal(err)
		}
	}
	return digest.New(cfg, st, m, quiet, e.clock.Now)
}

// sends returns the digest records of day by user.
func (e *env) sends(t testing.TB) map[string]*store.DigestSend {
	t.Helper()
	all, err := e.st.DigestSends(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.DigestSend{}
	for _, d := range all {
		out[d.UserID] = d
	}
	return out
}
