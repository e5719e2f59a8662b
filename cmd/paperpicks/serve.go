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
	"github.com/paperpicks/paperpicks/server"
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
	if err := a.firstStart(ctx); err != nil {
		return err
	}

	srv := server.New(server.Config{AdminToken: e.cfg.AdminToken, MaxBodyBytes: e.cfg.HTTP.MaxBodyBytes, OpenSignup: e.cfg.HTTP.OpenSignup},
		server.Deps{Catalog: a.catalog, Users: a.users, Profiles: a.profiles, Store: a.store, Votes: a.store}, a.log)
	ln, err := net.Listen("tcp", e.cfg.HTTP.Addr)
	if err != nil {
		return paperpicks.WrapError(paperpicks.EINVALID, err, "cannot listen on %s", e.cfg.HTTP.Addr)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadTimeout:       e.cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      e.cfg.HTTP.WriteTimeout,
		IdleTimeout:       e.cfg.HTTP.IdleTimeout,
	}
	base := baseURL(e, ln.Addr().String())
	a.log.Info("listening", "url", base, "papers", a.catalog.Len(), "space", spaceName(a))
	printWelcome(e, a, base)

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
	a.log.Info("shutting down: letting in-flight requests finish")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func spaceName(a *app) string {
	if sp := a.catalog.Space(); sp != nil {
		return sp.Name()
	}
	return "(none yet)"
}

// firstStart loads the sample catalog into an empty catalog, so a first
// `serve` has papers to show.
func (a *app) firstStart(ctx context.Context) error {
	if !a.cfg.Demo {
		return nil
	}
	n, err := a.store.CountPapers(ctx)
	if err != nil || n > 0 {
		return err
	}
	sum, err := a.catalog.IngestReader(ctx, bytes.NewReader(paperpicks.SampleCatalog), "jsonl", "sample")
	if err != nil {
		return fmt.Errorf("load the sample catalog: %w", err)
	}
	a.log.Info("sample catalog loaded", "added", sum.Added, "skipped", len(sum.Skipped))
	return nil
}

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
func printWelcome(e *env, a *app, base string) {
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
	if e.cfg.AdminToken != "" {
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $PAPERPICKS_ADMIN_TOKEN\" --data-binary @papers.jsonl %s/v1/papers\n", base)
	} else {
		fmt.Fprintln(w, "  (set PAPERPICKS_ADMIN_TOKEN to enable POST /v1/papers and the admin routes)")
	}
	fmt.Fprintln(w)
}
