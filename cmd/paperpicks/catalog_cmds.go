package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/ingest"
)

func init() {
	register(&command{name: "ingest", usage: "SOURCE...", summary: "add papers from files, URLs or - (stdin); formats: " + formatList(),
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			format := fs.String("format", "auto", "source format: auto, "+formatList())
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return paperpicks.Errorf(paperpicks.EINVALID, "want at least one SOURCE (a file, an http(s) URL, or - for stdin)")
				}
				f, err := ingest.ParseFormat(*format)
				if err != nil {
					return err
				}
				return runIngest(ctx, e, args, f)
			}
		}})
	register(&command{name: "papers", usage: "ID", summary: "show one paper",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 1, "one paper ID"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					p, err := a.catalog.Get(ctx, args[0])
					if err != nil {
						return err
					}
					if e.json {
						return printJSON(e.stdout, p)
					}
					fmt.Fprintf(e.stdout, "%s\n%s\n%s\n\n%s\n", p.ID, p.Title, strings.Join(p.Authors, ", "), p.Abstract)
					if p.URL != "" {
						fmt.Fprintf(e.stdout, "\n%s\n", p.URL)
					}
					return nil
				})
			}
		}})
	register(&command{name: "similar", usage: "ID [-k N]", summary: "papers most like a paper (more like this)",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			k := fs.Int("k", 10, "number of results")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 1, "one paper ID"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					res, err := a.catalog.Similar(ctx, args[0], *k)
					if err != nil {
						return err
					}
					return printResults(e, res)
				})
			}
		}})
	register(&command{name: "search", usage: "TEXT [-k N]", summary: "papers nearest to a free text",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			k := fs.Int("k", 10, "number of results")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return paperpicks.FieldErrorf("q", "want a search TEXT")
				}
				return withApp(ctx, e, func(a *app) error {
					res, err := a.catalog.Search(ctx, strings.Join(args, " "), *k)
					if err != nil {
						return err
					}
					return printResults(e, res)
				})
			}
		}})
	register(&command{name: "reindex", usage: "[--refit=false]", summary: "re-embed every paper into a fresh space and switch to it",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			refit := fs.Bool("refit", true, "local embedder: fit it again on the current catalog first")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					start := time.Now()
					p := newStageProgress(e, a)
					err := a.catalog.Reindex(ctx, *refit && e.cfg.Embedder.Kind == "local", p.report)
					p.finish()
					if err != nil {
						return err
					}
					sp := a.catalog.Space()
					out := map[string]any{"space": sp.Name(), "papers": sp.Index.Len(), "took_ms": time.Since(start).Milliseconds()}
					if e.json {
						return printJSON(e.stdout, out)
					}
					fmt.Fprintf(e.stdout, "reindexed %d papers into %s in %v\n", sp.Index.Len(), sp.Name(), time.Since(start).Round(time.Millisecond))
					return nil
				})
			}
		}})
}

func formatList() string {
	var names []string
	for _, f := range ingest.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// withApp opens the app for one command and closes it afterwards.
func withApp(ctx context.Context, e *env, fn func(*app) error) error {
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// stageProgress adapts catalog.Progress to a progress display per stage.
type stageProgress struct {
	e     *env
	a     *app
	stage string
	p     *progress
}

func newStageProgress(e *env, a *app) *stageProgress { return &stageProgress{e: e, a: a} }

func (s *stageProgress) report(stage string, done, total int) {
	if stage != s.stage {
		s.finish()
		s.stage = stage
		s.p = newProgress(s.e.stderr, s.a.log, stage, int64(total), false)
	}
	s.p.Set(int64(done))
}

func (s *stageProgress) finish() {
	if s.p != nil {
		s.p.Finish()
	}
}

// runIngest ingests each source, prints one summary, and refits the local
// embedder when the catalog has outgrown it.
func runIngest(ctx context.Context, e *env, sources []string, f ingest.Format) error {
	return withApp(ctx, e, func(a *app) error {
		total := &catalog.Summary{Skipped: []catalog.Skip{}}
		start := time.Now()
		for _, src := range sources {
			sum, err := ingestSource(ctx, e, a, src, f)
			if err != nil {
				return err
			}
			for i := range sum.Skipped {
				sum.Skipped[i].Pos = src + ": " + sum.Skipped[i].Pos
			}
			total.Merge(sum)
		}
		p := newStageProgress(e, a)
		refitted, err := a.catalog.RefitIfNeeded(ctx, p.report)
		p.finish()
		if err != nil {
			return err
		}
		took := time.Since(start)
		if e.json {
			out := struct {
				*catalog.Summary
				Refitted bool  `json:"refitted"`
				TookMS   int64 `json:"took_ms"`
			}{total, refitted, took.Milliseconds()}
			if err := printJSON(e.stdout, out); err != nil {
				return err
			}
		} else {
			printSummary(e.stdout, total, refitted, took)
		}
		if total.Valid() == 0 {
			return paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "no valid paper found in %s", strings.Join(sources, ", "))
		}
		return nil
	})
}

func ingestSource(ctx context.Context, e *env, a *app, src string, f ingest.Format) (*catalog.Summary, error) {
	var p *progress
	defer func() {
		if p != nil {
			p.Finish()
		}
	}()
	return a.catalog.IngestSource(ctx, src, f, fetchOptions(e), func(r io.Reader, name string, size int64) io.Reader {
		p = newProgress(e.stderr, a.log, "ingest "+name, size, true)
		return &countingReader{r: r, p: p}
	})
}

func fetchOptions(e *env) ingest.FetchOptions {
	return ingest.FetchOptions{
		Timeout: e.cfg.Ingest.FetchTimeout, Retries: e.cfg.Ingest.FetchRetries, MaxBytes: e.cfg.Ingest.MaxFetchBytes,
		UserAgent: e.cfg.Ingest.UserAgent, Stdin: e.stdin,
	}
}

func printSummary(w io.Writer, s *catalog.Summary, refitted bool, took time.Duration) {
	fmt.Fprintf(w, "added %d, updated %d, unchanged %d, skipped %d (embedded %d) in %v\n",
		s.Added, s.Updated, s.Unchanged, len(s.Skipped), s.Embedded, took.Round(time.Millisecond))
	const show = 20
	for i, sk := range s.Skipped {
		if i == show {
			fmt.Fprintf(w, "  … and %d more skipped (use --json for all)\n", len(s.Skipped)-show)
			break
		}
		fmt.Fprintf(w, "  skipped %s: %s\n", sk.Pos, sk.Reason)
	}
	if refitted {
		fmt.Fprintln(w, "the local embedder was refitted on the grown catalog and every paper re-embedded")
	}
}
