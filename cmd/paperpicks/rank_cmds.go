package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/rank"
)

func init() {
	register(&command{name: "rank", usage: "[--date YYYY-MM-DD]", summary: "run the daily picks now (default: today in rank.time_zone)",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			date := fs.String("date", "", "the date to pick for (default: today)")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					d := *date
					if d == "" {
						d = time.Now().In(a.location()).Format(paperpicks.DateLayout)
					}
					run, err := a.ranker.RunDaily(ctx, d)
					if err != nil {
						return err
					}
					return report(e, run, fmt.Sprintf("%s: %d picks for %d users in %v", run.Date, run.Picks, run.Users, run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond)))
				})
			}
		}})
	register(&command{name: "train", usage: "", summary: "learn the model of the learned profile strategy from every user's likes now",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					start := time.Now()
					m, err := a.ranker.Train(ctx)
					if err != nil {
						return err
					}
					if m == nil {
						return report(e, map[string]any{"trained": false}, "the configured strategy ("+e.cfg.Rank.Strategy+") needs no model")
					}
					return report(e, map[string]any{"trained": true, "space": m.Space, "likes": m.Likes, "took_ms": time.Since(start).Milliseconds()},
						fmt.Sprintf("model of %s learned from %d likes in %v", m.Space, m.Likes, time.Since(start).Round(time.Millisecond)))
				})
			}
		}})
	register(&command{name: "picks", usage: "USER_ID [--date YYYY-MM-DD]", summary: "a user's picks for a date (default: today in their time zone)",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			date := fs.String("date", "", "the date (default: today in the user's time zone)")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 1, "one USER_ID"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error {
					u, err := a.users.Get(ctx, args[0])
					if err != nil {
						return err
					}
					d := *date
					if d == "" {
						loc, _ := time.LoadLocation(u.TimeZone)
						d = time.Now().In(loc).Format(paperpicks.DateLayout)
					} else if _, err := rank.ParseDate(d); err != nil {
						return err
					}
					picks, err := a.store.GetPicks(ctx, u.ID, d)
					if err != nil {
						return err
					}
					ids := make([]string, len(picks))
					for i, p := range picks {
						ids[i] = p.PaperID
					}
					papers, err := a.catalog.Papers(ctx, ids)
					if err != nil {
						return err
					}
					type pickOut struct {
						ID     string              `json:"id"`
						Title  string              `json:"title"`
						URL    string              `json:"url,omitempty"`
						Score  float64             `json:"score"`
						Reason string              `json:"reason"`
						Kind   paperpicks.PickKind `json:"kind"`
						Rank   int                 `json:"rank"`
						Date   string              `json:"date"`
					}
					out := make([]pickOut, len(picks))
					for i, p := range picks {
						out[i] = pickOut{ID: p.PaperID, Score: p.Score, Reason: p.Reason, Kind: p.Kind, Rank: p.Rank, Date: d}
						if pp := papers[p.PaperID]; pp != nil {
							out[i].Title, out[i].URL = pp.Title, pp.URL
						}
					}
					if e.json {
						return printJSON(e.stdout, out)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintf(tw, "#\tSCORE\tKIND\tID\tTITLE\n")
					for _, o := range out {
						fmt.Fprintf(tw, "%d\t%.3f\t%s\t%s\t%s\n", o.Rank, o.Score, o.Kind, o.ID, truncate(o.Title, 80))
					}
					return tw.Flush()
				})
			}
		}})
}
