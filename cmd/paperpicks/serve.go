package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/server"
	"github.com/paperpicks/paperpicks/users"
)

func init() {
	register(&command{name: "serve", usage: "[--addr HOST:PORT]", summary: "run the HTTP service",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				return serve(ctx, e)
			}
		}})
}

func serve(ctx context.Context, e *env) error {
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	demo, err := a.firstStart(ctx)
	if err != nil {
		return err
	}

	web, err := a.webDeps(ctx, e)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{AdminToken: e.cfg.AdminToken, MaxBodyBytes: e.cfg.HTTP.MaxBodyBytes, OpenSignup: e.cfg.HTTP.OpenSignup, TimeZone: a.location(),
		RateLimit: e.cfg.HTTP.RateLimit, RateBurst: e.cfg.HTTP.RateBurst, TrustedProxies: e.cfg.HTTP.Proxies()},
		server.Deps{Catalog: a.catalog, Users: a.users, Profiles: a.profiles, Ranker: a.ranker, Store: a.store, Metrics: a.metrics, Web: web}, a.log)
	sched, err := a.scheduler(e)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.cfg.HTTP.Addr)
	if err != nil {
		return paperpicks.WrapError(paperpicks.EINVALID, err, "cannot listen on %s", e.cfg.HTTP.Addr)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadTimeout:       e.cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: min(10*time.Second, e.cfg.HTTP.ReadTimeout),
		WriteTimeout:      e.cfg.HTTP.WriteTimeout,
		IdleTimeout:       e.cfg.HTTP.IdleTimeout,
	}
	base := baseURL(e, ln.Addr().String())
	waitDelivery := a.startDelivery(ctx, e, web, base, sched)
	// After the digests go out, the model of the learned strategy is
	// retrained on the day's likes for the next run (minutes, not seconds).
	sched.AfterRun(func(ctx context.Context, _ string) error { return a.ranker.TrainIfStale(ctx, 20*time.Hour) })
	a.log.Info("listening", "url", base, "papers", a.catalog.Len(), "space", spaceName(a))
	printWelcome(e, a, base, demo)
	sched.Start(ctx)

	// Refit in the background when the catalog outgrew the local embedder;
	// the current space serves until the switch.
	go func() {
		if did, err := a.catalog.RefitIfNeeded(ctx, nil); err != nil && ctx.Err() == nil {
			a.log.Error("background refit failed", "err", err)
		} else if did {
			a.log.Info("background refit done", "space", spaceName(a))
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: letting in-flight requests and the running job finish")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sched.Stop(sctx)
	a.log.Info("scheduler stopped")
	waitDelivery()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped: every request answered")
	return nil
}

func spaceName(a *app) string {
	if sp := a.catalog.Space(); sp != nil {
		return sp.Name()
	}
	return "(none yet)"
}

// demoUser is what a first start prints so the reader can try picks at once.
type demoUser struct {
	ID, Token, Date string
}

// firstStart loads the sample catalog into an empty catalog, so a first
// `serve` has papers to show. On the very first start (an empty data
// directory, no users yet) it also creates a demo user who liked three
// sample papers and runs today's picks for them.
func (a *app) firstStart(ctx context.Context) (*demoUser, error) {
	if !a.cfg.Demo {
		return nil, nil
	}
	n, err := a.store.CountPapers(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	sum, err := a.catalog.IngestReader(ctx, bytes.NewReader(paperpicks.SampleCatalog), "jsonl", "sample")
	if err != nil {
		return nil, fmt.Errorf("load the sample catalog: %w", err)
	}
	a.log.Info("sample catalog loaded", "added", sum.Added, "skipped", len(sum.Skipped))
	if us, err := a.store.ListUsers(ctx); err != nil || len(us) > 0 || !a.fresh {
		return nil, err
	}
	d := true
	u, token, err := a.users.Create(ctx, users.Settings{Digest: &d})
	if err != nil {
		return nil, err
	}
	for _, id := range demoLikes {
		if _, err := a.profiles.Feedback(ctx, u.ID, id, paperpicks.VoteUp); err != nil {
			return nil, fmt.Errorf("demo likes: %w", err)
		}
	}
	date := time.Now().In(a.location()).Format(paperpicks.DateLayout)
	if _, err := a.ranker.RunDaily(ctx, date); err != nil {
		return nil, err
	}
	return &demoUser{ID: u.ID, Token: token, Date: date}, nil
}

// demoLikes are three sample papers on graph learning, so the demo's picks
// visibly follow them.
var demoLikes = []string{"sample-94b93732", "sample-fcd15905", "sample-64a909cf"}

func baseURL(e *env, addr string) string {
	if e.cfg.HTTP.BaseURL != "" {
		return strings.TrimSuffix(e.cfg.HTTP.BaseURL, "/")
	}
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printWelcome prints the URL and curl calls that work right away.
func printWelcome(e *env, a *app, base string, demo *demoUser) {
	w := e.stdout
	fmt.Fprintf(w, "paperpicks is running at %s with %d papers\n\n", base, a.catalog.Len())
	example := ""
	if res, err := a.catalog.Search(context.Background(), "neural networks", 1); err == nil && len(res) > 0 {
		example = res[0].ID
	}
	fmt.Fprintf(w, "try:\n  curl %s/healthz\n  curl '%s/v1/search?q=graph+neural+networks&k=5'\n", base, base)
	if example != "" {
		fmt.Fprintf(w, "  curl %s/v1/papers/%s\n  curl '%s/v1/papers/%s/similar?k=5'\n", base, example, base, example)
	}
	if demo != nil {
		fmt.Fprintf(w, "\na demo user liked three sample papers; its token (shown only now):\n  export TOKEN=%s\n", demo.Token)
		fmt.Fprintf(w, "  its picks page, signed in (link valid for %s): %s\n", e.cfg.Web.LoginLinkTTL, a.loginURL(base, demo.ID))
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" %s/v1/users/%s/picks\n", base, demo.ID)
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" -d '{\"paper_id\":\"%s\",\"value\":\"up\"}' %s/v1/users/%s/feedback\n", demoLikes[0], base, demo.ID)
		fmt.Fprintf(w, "  curl '%s/v1/papers/%s/similar?k=5'\n", base, demoLikes[0])
		fmt.Fprintf(w, "  curl '%s/v1/trending?k=5'\n", base)
	}
	if e.cfg.AdminToken != "" {
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $PAPERPICKS_ADMIN_TOKEN\" --data-binary @papers.jsonl %s/v1/papers\n", base)
	} else {
		fmt.Fprintln(w, "  (set PAPERPICKS_ADMIN_TOKEN to enable POST /v1/papers and the admin routes)")
	}
	fmt.Fprintln(w)
}

// scheduler builds the daily schedule with the configured sources, fetched
// through the same ingest code as `paperpicks ingest`.
func (a *app) scheduler(e *env) (*rank.Scheduler, error) {
	var sources []rank.Source
	for _, s := range e.cfg.Sources {
		sources = append(sources, rank.Source{URL: s.URL, Format: s.Format, Schedule: s.Schedule})
	}
	fetch := func(ctx context.Context, src rank.Source) error {
		f, err := ingest.ParseFormat(src.Format)
		if err != nil {
			return err
		}
		sum, err := a.catalog.IngestSource(ctx, src.URL, f, fetchOptions(e), nil)
		if err == nil {
			a.log.Info("source ingested", "url", src.URL, "added", sum.Added, "updated", sum.Updated, "skipped", len(sum.Skipped))
		}
		return err
	}
	return rank.NewScheduler(rank.ScheduleConfig{Spec: e.cfg.Rank.Schedule, TimeZone: e.cfg.Rank.TimeZone, RetryAfter: e.cfg.Rank.RetryAfter, Sources: sources},
		a.ranker, fetch, a.log, time.Now)
}
