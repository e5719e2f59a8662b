package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/paperpicks/paperpicks/bench"
)

func init() {
	register(&command{name: "bench", usage: "[--scale 10k|100k] [--postgres URL]", summary: "measure the performance budgets on a synthetic workload",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			scale := fs.String("scale", "10k", "papers and users: 1k, 10k or 100k")
			pg := fs.String("postgres", "", "also measure the daily run and feedback on this PostgreSQL database (it must be empty)")
			seed := fs.Uint64("seed", 1, "workload seed")
			dur := fs.Duration("duration", 15*time.Second, "longest time of each HTTP load run")
			keep := fs.String("keep", "", "use this (empty or new) directory for the benchmark's data and keep it afterwards")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				opt, err := bench.Scale(*scale)
				if err != nil {
					return err
				}
				dir := *keep
				if dir == "" {
					if dir, err = os.MkdirTemp("", "paperpicks-bench-"); err != nil {
						return err
					}
					defer os.RemoveAll(dir)
				} else if err := os.MkdirAll(dir, 0o750); err != nil {
					return err
				}
				log := newLogger(e.cfg, e.stderr)
				opt.Dir, opt.PostgresURL, opt.Seed, opt.Duration, opt.Log = dir, *pg, *seed, *dur, log
				opt.Local.Dim = e.cfg.Embedder.Dim
				if opt.Binary, err = os.Executable(); err != nil {
					return err
				}
				opt.Stage = func(s string) { log.Info("bench", "stage", s) }
				rep, err := bench.Run(ctx, opt)
				if err != nil {
					return err
				}
				if e.json {
					return printJSON(e.stdout, rep)
				}
				fmt.Fprintf(e.stdout, "paperpicks bench --scale %s: %d papers, %d users, %d candidates · %s · %v\n\n", *scale, rep.Papers, rep.Users, rep.Cands, rep.Machine, rep.Took.Round(time.Second))
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FIGURE\tVALUE\tBUDGET\tPASS\tPEER\tRATIO\tNOTE")
				for _, r := range rep.Rows {
					pass, ratio := "", ""
					if r.Pass != nil {
						pass = map[bool]string{true: "yes", false: "NO"}[*r.Pass]
					}
					if r.Ratio != 0 {
						ratio = fmt.Sprintf("%.1f×", r.Ratio)
					}
					fmt.Fprintf(tw, "%s\t%.2f %s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Unit, r.Budget, pass, r.Peer, ratio, r.Note)
				}
				return tw.Flush()
			}
		}})
}
