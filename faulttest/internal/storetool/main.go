// Command storetool seeds and inspects a paperpicks store for the fault
// tests, which run it as a child: the test binary may carry the race
// detector, under which the SQLite driver (C translated to Go) runs
// twentyfold slower.
//
//	storetool integrity FILE      PRAGMA integrity_check of a SQLite file
//	storetool vectors STORE       papers against vectors of the active space
//	storetool picks STORE DATE    every user's picks for DATE
//	storetool users STORE N       create N users, one in five with three likes
//
// STORE is sqlite:FILE or a postgres:// URL. Output is one JSON object.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "storetool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: storetool integrity|vectors|picks|users STORE [DATE|N]")
	}
	if args[0] == "integrity" {
		st, err := sqlite.Open(ctx, args[1], sqlite.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		res, err := st.IntegrityCheck(ctx)
		if err != nil {
			return err
		}
		return out(map[string]any{"integrity": res})
	}
	st, err := open(ctx, args[1])
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case args[0] == "vectors":
		return vectors(ctx, st)
	case args[0] == "picks" && len(args) == 3:
		return picks(ctx, st, args[2])
	case args[0] == "users" && len(args) == 3:
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return seedUsers(ctx, st, n)
	}
	return fmt.Errorf("unknown check %q", strings.Join(args, " "))
}

func open(ctx context.Context, spec string) (store.Store, error) {
	if path, ok := strings.CutPrefix(spec, "sqlite:"); ok {
		return sqlite.Open(ctx, path, sqlite.Options{})
	}
	return postgres.Open(ctx, spec)
}

func out(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }

// vectors counts papers, their vectors in the active space, papers
// without a vector and vectors without a paper.
func vectors(ctx context.Context, st store.Store) error {
	emb, err := st.ActiveEmbedder(ctx, "local")
	if err != nil {
		return err
	}
	papers := map[string]bool{}
	if err := st.ScanPapers(ctx, func(p *paperpicks.Paper) error { papers[p.ID] = true; return nil }); err != nil {
		return err
	}
	n := len(papers)
	vecs, orphans, dims := 0, 0, map[int]int{}
	err = st.ScanVectors(ctx, emb.Name, func(id string, _ time.Time, vec []float32) error {
		vecs++
		dims[len(vec)]++
		if !papers[id] {
			orphans++
		}
		delete(papers, id)
		return nil
	})
	if err != nil {
		return err
	}
	var missing []string
	for id := range papers {
		missing = append(missing, id)
	}
	return out(map[string]any{"space": emb.Name, "papers": n, "vectors": vecs, "missing": missing, "orphans": orphans, "dims": dims})
}

// picks reports, over every user, how many have picks for date, the
// fewest and most picks a user has, and users with a paper twice or ranks
// that are not 1..k.
func picks(ctx context.Context, st store.Store, date string) error {
	us, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	res := struct {
		Users     int      `json:"users"`
		WithPicks int      `json:"with_picks"`
		Min       int      `json:"min"`
		Max       int      `json:"max"`
		Bad       []string `json:"bad"`
	}{Users: len(us), Min: -1}
	for _, u := range us {
		ps, err := st.GetPicks(ctx, u.ID, date)
		if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
			res.Min = 0
			continue
		}
		if err != nil {
			return err
		}
		res.WithPicks++
		if res.Min < 0 || len(ps) < res.Min {
			res.Min = len(ps)
		}
		res.Max = max(res.Max, len(ps))
		seen := map[string]bool{}
		for i, p := range ps {
			if seen[p.PaperID] || p.Rank != i+1 {
				res.Bad = append(res.Bad, fmt.Sprintf("%s: %+v", u.ID, ps))
				break
			}
			seen[p.PaperID] = true
		}
	}
	return out(res)
}

// seedUsers creates n users, every fifth with up votes on three papers of
// the catalog (so the daily run ranks profiles, not only trending papers),
// and prints their ids.
func seedUsers(ctx context.Context, st store.Store, n int) error {
	cat, err := catalog.Open(ctx, st, catalog.Config{Embedder: "local", Local: embed.DefaultLocalConfig()},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		return err
	}
	sp := cat.Space()
	if sp == nil {
		return fmt.Errorf("the catalog is empty")
	}
	var papers []string
	if err := st.ScanPapers(ctx, func(p *paperpicks.Paper) error { papers = append(papers, p.ID); return nil }); err != nil {
		return err
	}
	profiles := rank.NewProfiles(st, func() rank.VectorSource { return sp }, 0, nil)
	us := users.New(st, nil)
	ids := make([]string, n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range 8 { // PostgreSQL overlaps the round trips; SQLite queues them
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				u, _, err := us.Create(ctx, users.Settings{})
				for j := 0; err == nil && i%5 == 0 && j < 3; j++ {
					_, err = profiles.Feedback(ctx, u.ID, papers[(i+7*j)%len(papers)], paperpicks.VoteUp)
				}
				if err != nil {
					failed.Store(&err)
					return
				}
				ids[i] = u.ID
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return out(map[string]any{"ids": ids})
}
