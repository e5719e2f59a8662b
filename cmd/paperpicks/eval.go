package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/users"
)

func init() {
	register(&command{name: "eval", usage: "--papers P.jsonl --users U.jsonl [--strategy a,b] [--seed S] [--new-items F] [--export F]",
		summary: "measure recommendation quality offline (DESIGN.md \"Measuring quality\")",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			papers := fs.String("papers", "", "papers JSONL (id, title, abstract)")
			usersFile := fs.String("users", "", `users JSONL: {"user": "...", "liked": ["paper id", ...]}`)
			seed := fs.String("seed", "paperpicks", "seed of the FNV-1a split")
			newItems := fs.String("new-items", "", "file of new paper ids, one per line (instead of the seeded split)")
			strategies := fs.String("strategy", "", "comma-separated profile strategies to compare (default: mean and the configured one); known: "+strings.Join(rank.StrategyNames(), ", "))
			export := fs.String("export", "", "write each scored user's top 50 of the first strategy as JSONL")
			work := fs.String("work", "", "directory for the evaluation's own store (default: a temporary one, removed after)")
			return func(ctx context.Context, e *env, args []string) error {
				if *papers == "" || *usersFile == "" {
					return paperpicks.Errorf(paperpicks.EINVALID, "--papers and --users are required")
				}
				names := []string{"mean"}
				if e.cfg.Rank.Strategy != "mean" {
					names = append(names, e.cfg.Rank.Strategy)
				}
				if *strategies != "" {
					names = strings.Split(*strategies, ",")
				}
				var strats []rank.Strategy
				for _, n := range names {
					s, err := rank.StrategyByName(strings.TrimSpace(n))
					if err != nil {
						return err
					}
					strats = append(strats, s)
				}
				split := rank.EvalSplit{Seed: *seed}
				if *newItems != "" {
					ids, err := readLines(*newItems)
					if err != nil {
						return err
					}
					split.NewItems = map[string]bool{}
					for _, id := range ids {
						split.NewItems[id] = true
					}
				}
				return runEval(ctx, e, evalArgs{papers: *papers, users: *usersFile, split: split, strategies: strats, export: *export, work: *work})
			}
		}})
}

type evalArgs struct {
	papers, users, export, work string
	split                       rank.EvalSplit
	strategies                  []rank.Strategy
}

// evalReport is the --json output.
type evalReport struct {
	Embedder  string           `json:"embedder"`
	Users     int              `json:"users_scored"`
	NewPapers int              `json:"new_papers"`
	Rows      []evalRow        `json:"rows"`
	Timing    map[string]int64 `json:"timing_ms"`
}

type evalRow struct {
	Method     string  `json:"method"`
	Recall20   float64 `json:"recall_at_20"`
	Recall20CI float64 `json:"recall_at_20_ci95"`
	Recall50   float64 `json:"recall_at_50"`
	Recall50CI float64 `json:"recall_at_50_ci95"`
	NDCG20     float64 `json:"ndcg_at_20"`
	NDCG20CI   float64 `json:"ndcg_at_20_ci95"`
	DeltaR50   float64 `json:"delta_recall_at_50_vs_first"`
	DeltaR50CI float64 `json:"delta_recall_at_50_vs_first_ci95"`
	TookMS     int64   `json:"took_ms"`
}

// runEval runs the product's own code path on a dataset: papers ingested
// and embedded by the configured embedder into a real store, users
// created, training likes applied as feedback, profiles built by each
// strategy, new papers ranked by the daily run's kernel.
func runEval(ctx context.Context, e *env, a evalArgs) error {
	users0, err := readEvalUsers(a.users)
	if err != nil {
		return err
	}
	dir := a.work
	if dir == "" {
		if dir, err = os.MkdirTemp("", "paperpicks-eval-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	cfg := *e.cfg
	cfg.Data = dir
	cfg.Store.Driver, cfg.Store.Synchronous = "sqlite", "NORMAL" // a scratch store: speed over power-loss safety
	// The embedder is judged as a catalog of this size has it after its
	// refits: fitted on the whole dataset, not on a first batch.
	cfg.Embedder.FirstFit = cfg.Embedder.MaxFitDocs
	ev := *e
	ev.cfg = &cfg
	app, err := openApp(ctx, &ev)
	if err != nil {
		return err
	}
	defer app.Close()
	timing := map[string]int64{}

	start := time.Now()
	f, err := os.Open(a.papers)
	if err != nil {
		return paperpicks.WrapError(paperpicks.EINVALID, err, "cannot open %s", a.papers)
	}
	st, _ := f.Stat()
	p := newProgress(e.stderr, app.log, "ingest "+filepath.Base(a.papers), st.Size(), true)
	sum, err := app.catalogUntitled().IngestReader(ctx, &countingReader{r: f, p: p}, "jsonl", "eval")
	p.Finish()
	f.Close()
	if err != nil {
		return err
	}
	timing["ingest_embed_store"] = time.Since(start).Milliseconds()
	sp := app.catalog.Space()
	app.log.Info("papers ingested", "added", sum.Valid(), "skipped", len(sum.Skipped), "space", sp.Name())

	// Users and their training likes, through the feedback code.
	start = time.Now()
	cases := a.split.Cases(users0, sp.Index.Has)
	p = newProgress(e.stderr, app.log, "training likes", int64(len(cases)), false)
	userIDs := make([]string, len(cases))
	for i, c := range cases {
		u, _, err := app.users.Create(ctx, users.Settings{})
		if err != nil {
			return err
		}
		userIDs[i] = u.ID
		for _, id := range c.Train {
			if _, err := app.profiles.Feedback(ctx, u.ID, id, paperpicks.VoteUp); err != nil {
				return err
			}
		}
		p.Add(1)
	}
	p.Finish()
	timing["feedback"] = time.Since(start).Milliseconds()

	all, allM := sp.Index.Since(time.Time{}, time.Now().Add(24*time.Hour))
	var newIDs []string
	var newRows []int
	for i, id := range all {
		if a.split.IsNew(id) {
			newIDs = append(newIDs, id)
			newRows = append(newRows, i)
		}
	}
	cands := rank.Matrix{Rows: len(newRows), Dim: allM.Dim, Data: make([]float32, 0, len(newRows)*allM.Dim)}
	for _, r := range newRows {
		cands.Data = append(cands.Data, allM.Row(r)...)
	}
	mean := rank.CatalogMean(allM)
	// The model of the whitened and learned strategies, trained on the
	// training likes exactly as the service trains it after a daily run.
	var model *rank.Model
	for _, strat := range a.strategies {
		if rank.NeedsModel(strat) && model == nil {
			start = time.Now()
			if model, err = rank.TrainModel(ctx, app.store, sp, true, rank.DefaultLearnConfig(), time.Now()); err != nil {
				return err
			}
			timing["train_model"] = time.Since(start).Milliseconds()
		}
	}

	report := evalReport{Embedder: sp.Name(), Users: len(cases), NewPapers: len(newIDs), Timing: timing}
	var first *rank.EvalScores
	pos := map[string]int{}
	for i, id := range userIDs {
		pos[id] = i
	}
	for _, strat := range a.strategies {
		start = time.Now()
		g := &rank.Global{CatalogMean: mean}
		if model != nil {
			g = model.Global(mean)
		}
		ranked := make([][]string, len(cases))
		_, _, err := rank.RankProfiles(ctx, app.store, sp, strat, g, cands, rank.EvalTopN, nil, func(users []string, top [][]rank.Scored) error {
			for i, uid := range users {
				ids := make([]string, len(top[i]))
				for j, s := range top[i] {
					ids[j] = newIDs[s.Cand]
				}
				ranked[pos[uid]] = ids
			}
			return nil
		})
		if err != nil {
			return err
		}
		scores := rank.Measure(strat.Name(), cases, ranked, time.Since(start))
		report.Rows = append(report.Rows, row(scores, first))
		if first == nil {
			first = scores
			if a.export != "" {
				if err := exportRanked(a.export, cases, ranked); err != nil {
					return err
				}
			}
		}
	}
	start = time.Now()
	random := rank.Measure("random", cases, rank.RandomRanking(cases, newIDs, 1), 0)
	random.Took = time.Since(start)
	report.Rows = append(report.Rows, row(random, first))

	if e.json {
		return printJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "embedder %s · %d users scored · %d new papers · ingest+embed+store %v · feedback %v · model training %v\n\n",
		report.Embedder, report.Users, report.NewPapers, time.Duration(timing["ingest_embed_store"])*time.Millisecond, time.Duration(timing["feedback"])*time.Millisecond,
		time.Duration(timing["train_model"])*time.Millisecond)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tRECALL@20\tRECALL@50\tNDCG@20\tΔRECALL@50 VS FIRST\tTIME")
	for _, r := range report.Rows {
		fmt.Fprintf(tw, "%s\t%.4f ± %.4f\t%.4f ± %.4f\t%.4f ± %.4f\t%+.4f ± %.4f\t%v\n", r.Method, r.Recall20, r.Recall20CI, r.Recall50, r.Recall50CI,
			r.NDCG20, r.NDCG20CI, r.DeltaR50, r.DeltaR50CI, time.Duration(r.TookMS)*time.Millisecond)
	}
	return tw.Flush()
}

func row(s, first *rank.EvalScores) evalRow {
	r20, r50, n20 := s.Summaries()
	r := evalRow{Method: s.Method, Recall20: r20.Mean, Recall20CI: r20.Half, Recall50: r50.Mean, Recall50CI: r50.Half,
		NDCG20: n20.Mean, NDCG20CI: n20.Half, TookMS: s.Took.Milliseconds()}
	if first != nil {
		r.DeltaR50, r.DeltaR50CI = rank.PairedCI(s.Recall50, first.Recall50)
	}
	return r
}

func readEvalUsers(path string) ([]rank.EvalUser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot open %s", path)
	}
	defer f.Close()
	var out []rank.EvalUser
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var u rank.EvalUser
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			return nil, paperpicks.Errorf(paperpicks.EINVALID, "%s line %d: %v", path, n, err)
		}
		out = append(out, u)
	}
	return out, sc.Err()
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot read %s", path)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func exportRanked(path string, cases []rank.EvalCase, ranked [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for i, c := range cases {
		r := ranked[i]
		if r == nil {
			r = []string{}
		}
		if err := enc.Encode(map[string]any{"user": c.User, "ranked": r}); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
