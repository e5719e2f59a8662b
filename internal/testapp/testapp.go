// Package testapp wires a whole paperpicks for end-to-end tests: the sample
// catalog in a real SQLite file, users, the ranker, the HTTP server with
// the reader pages on an httptest listener, and the digest sender mailing
// to an in-process SMTP server.
package testapp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/digest"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/server"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

// Secret is the server secret of every test app.
var Secret = []byte("test-secret-0123456789abcdef-0123456789")

// Start is the clock's time when an app starts: a Monday morning, after
// the daily run's time.
var Start = time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC)

// Clock is a settable clock shared by every part of the app.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// App is a running paperpicks.
type App struct {
	Store    *sqlite.Store
	Catalog  *catalog.Catalog
	Users    *users.Service
	Profiles *rank.Profiles
	Ranker   *rank.Ranker
	HTTP     *httptest.Server
	URL      string // the HTTP server's base URL
	SMTP     *digesttest.Server
	Digest   *digest.Sender
	Clock    *Clock
}

// Options shape an app.
type Options struct {
	Log io.Writer // nil: discard
	// RealClock uses time.Now (for benchmarks of the pages under load).
	RealClock bool
}

// New starts an app that stops when the test ends.
func New(t testing.TB, opt Options) *App {
	t.Helper()
	ctx := context.Background()
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	log := slog.New(slog.NewTextHandler(opt.Log, nil))
	a := &App{Clock: &Clock{t: Start}}
	now := a.Clock.Now
	if opt.RealClock {
		now = time.Now
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a.Store = st
	cfg := catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()}
	cfg.Local.Dim = 64
	if a.Catalog, err = catalog.Open(ctx, st, cfg, log, now); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.IngestReader(ctx, bytes.NewReader(paperpicks.SampleCatalog), "", "sample"); err != nil {
		t.Fatal(err)
	}
	vectors := func() rank.VectorSource {
		if sp := a.Catalog.Space(); sp != nil {
			return sp
		}
		return nil
	}
	a.Users = users.New(st, now)
	a.Profiles = rank.NewProfiles(st, vectors, 0, now)
	a.Ranker = rank.NewRanker(st, a.Catalog.Space, rank.DailyConfig{}, log, now)

	// The listener comes first: its address is the base URL of links.
	a.HTTP = httptest.NewUnstartedServer(nil)
	a.URL = "http://" + a.HTTP.Listener.Addr().String()
	a.SMTP = digesttest.Start(t, digesttest.Options{})
	smtpCfg := digest.SMTPConfig{Host: a.SMTP.Host, Port: a.SMTP.Port, TLS: "none", From: "paperpicks <picks@example.org>", Timeout: 10 * time.Second}
	mailer, err := digest.NewSMTP(smtpCfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Digest = digest.New(digest.Config{SMTP: smtpCfg, BaseURL: a.URL, Secret: Secret}, st, mailer, log, now)
	srv := server.New(server.Config{MaxBodyBytes: 1 << 20, AdminToken: "admin"}, server.Deps{
		Catalog: a.Catalog, Users: a.Users, Profiles: a.Profiles, Ranker: a.Ranker, Store: st, Now: now,
		Web: &server.Web{Secret: Secret, BaseURL: a.URL, Store: st, Mailer: a.Digest},
	}, log)
	a.HTTP.Config.Handler = srv.Handler()
	a.HTTP.Start()
	t.Cleanup(a.HTTP.Close)
	return a
}

// NewUser creates a reader with an address and the digest on, who liked
// the given papers.
func (a *App) NewUser(t testing.TB, email string, likes ...string) *paperpicks.User {
	t.Helper()
	ctx := context.Background()
	on := true
	u, _, err := a.Users.Create(ctx, users.Settings{Email: &email, Digest: &on})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range likes {
		if _, err := a.Profiles.Feedback(ctx, u.ID, id, paperpicks.VoteUp); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// Today is the clock's date.
func (a *App) Today() string { return a.Clock.Now().Format(paperpicks.DateLayout) }

// RunDaily runs today's picks.
func (a *App) RunDaily(t testing.TB) string {
	t.Helper()
	date := a.Today()
	if _, err := a.Ranker.RunDaily(context.Background(), date); err != nil {
		t.Fatal(err)
	}
	return date
}

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each step.
func (a *App) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Likes are three sample papers on graph learning.
var Likes = []string{"sample-94b93732", "sample-fcd15905", "sample-64a909cf"}

// LoginURL is a sign-in link for a user, as the digest carries.
func (a *App) LoginURL(userID string) string {
	return links.NewSigner(Secret, links.Purpose).URL(a.URL, links.Claims{Action: links.Login, UserID: userID, Expires: a.Clock.Now().Add(time.Hour)})
}

// SignIn follows a sign-in link with client, which keeps the session.
func (a *App) SignIn(t testing.TB, client *http.Client, userID string) {
	t.Helper()
	res, err := client.Get(a.LoginURL(userID))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in link = %d", res.StatusCode)
	}
}
