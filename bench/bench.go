package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/server"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

// Options size and shape a benchmark run.
type Options struct {
	Papers, Users, Candidates int
	Seed                      uint64
	Dir                       string // data directory (a fresh, empty one)
	PostgresURL               string // when set, the daily run and feedback are measured on PostgreSQL too
	Requests                  int    // per HTTP load run
	Duration                  time.Duration
	Workers                   int // concurrent HTTP clients
	PeerUsers                 int // users whose one-query-per-user peer is timed
	Local                     embed.LocalConfig
	Binary                    string // the paperpicks binary; when set, the service's memory is measured in a process of its own
	Log                       *slog.Logger
	Stage                     func(name string) // progress
}

// Scale returns the options of a named scale ("10k" or "100k"): that many
// papers and users, 2,000 candidates.
func Scale(name string) (Options, error) {
	n := map[string]int{"1k": 1000, "10k": 10_000, "100k": 100_000}[name]
	if n == 0 {
		return Options{}, paperpicks.FieldErrorf("scale", "scale must be 1k, 10k or 100k, got %q", name)
	}
	return Options{Papers: n, Users: n, Candidates: min(2000, n), Seed: 1, Requests: 20000, Duration: 15 * time.Second,
		Workers: 16, PeerUsers: 200, Local: embed.DefaultLocalConfig()}, nil
}

// Row is one measured figure.
type Row struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Budget string  `json:"budget,omitempty"`
	Pass   *bool   `json:"pass,omitempty"`
	Peer   string  `json:"peer,omitempty"` // what the peer measured, as text
	Ratio  float64 `json:"ratio,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// Report is a whole run.
type Report struct {
	Machine string        `json:"machine"`
	Papers  int           `json:"papers"`
	Users   int           `json:"users"`
	Cands   int           `json:"candidates"`
	Rows    []Row         `json:"rows"`
	Took    time.Duration `json:"took_ns"`
}

func (r *Report) add(row Row) { r.Rows = append(r.Rows, row) }

func check(ok bool) *bool { return &ok }

type runner struct {
	opt   Options
	w     *Workload
	rep   *Report
	clock *clock
	day   time.Time
	date  string
}

// clock is the settable time the catalog and ranker see, so old papers
// arrive before the day's window and candidates inside it.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// Run generates the workload and measures every budget of DESIGN.md.
func Run(ctx context.Context, opt Options) (*Report, error) {
	start := time.Now()
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Stage == nil {
		opt.Stage = func(string) {}
	}
	r := &runner{opt: opt, rep: &Report{Machine: machine(), Papers: opt.Papers, Users: opt.Users, Cands: opt.Candidates}}
	r.day = time.Now().UTC().Truncate(24 * time.Hour).Add(6 * time.Hour)
	r.date = r.day.Format(paperpicks.DateLayout)
	r.clock = &clock{t: r.day.Add(-72 * time.Hour)}
	opt.Stage("generate workload")
	r.w = Generate(opt.Papers, opt.Candidates, opt.Users, opt.Seed)

	st, err := sqlite.Open(ctx, filepath.Join(opt.Dir, "paperpicks.db"), sqlite.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := r.measureBackend(ctx, st, "SQLite", true); err != nil {
		return nil, err
	}
	if opt.PostgresURL != "" {
		pg, err := postgres.Open(ctx, opt.PostgresURL)
		if err != nil {
			return nil, err
		}
		defer pg.Close()
		r.clock.t = r.day.Add(-72 * time.Hour)
		if err := r.measureBackend(ctx, pg, "PostgreSQL", false); err != nil {
			return nil, err
		}
	}
	r.rep.Took = time.Since(start)
	return r.rep, nil
}

// measureBackend runs the workload on one store; full adds the figures
// that do not depend on the backend (index, similar, memory).
func (r *runner) measureBackend(ctx context.Context, st store.Store, backend string, full bool) error {
	opt := r.opt
	ccfg := catalog.Config{Embedder: "local", Local: opt.Local}
	cat, err := catalog.Open(ctx, st, ccfg, opt.Log, r.clock.Now)
	if err != nil {
		return err
	}

	// Ingest: the first tenth fits the embedder; the rest is steady state.
	opt.Stage("ingest (" + backend + ")")
	first := opt.Papers / 10
	t := time.Now()
	if _, err := cat.IngestReader(ctx, bytes.NewReader(JSONL(r.w.Papers[:first])), "jsonl", "bench"); err != nil {
		return err
	}
	fit := time.Since(t)
	t = time.Now()
	sum, err := cat.IngestReader(ctx, bytes.NewReader(JSONL(r.w.Papers[first:])), "jsonl", "bench")
	if err != nil {
		return err
	}
	rest := time.Since(t)
	rate := float64(sum.Added) / rest.Seconds()
	fromEmpty := float64(opt.Papers) / (fit + rest).Seconds()
	r.rep.add(Row{Name: fmt.Sprintf("ingest + local embed + store, %s, into an empty catalog", backend), Value: fromEmpty, Unit: "papers/s",
		Budget: "≥ 5,000 papers/s", Pass: check(fromEmpty >= 5000),
		Note: fmt.Sprintf("%d papers in %v, including the first fit of the embedder on the first %d (%v with storing them)", opt.Papers, (fit + rest).Round(time.Millisecond), first, fit.Round(time.Millisecond))})
	r.rep.add(Row{Name: fmt.Sprintf("ingest + local embed + store, %s, fitted embedder", backend), Value: rate, Unit: "papers/s",
		Budget: "≥ 5,000 papers/s", Pass: check(rate >= 5000),
		Note: fmt.Sprintf("the other %d papers, the steady state of a catalog that has an embedder", sum.Added)})
	if full {
		opt.Stage("refit")
		t = time.Now()
		if err := cat.Reindex(ctx, true, nil); err != nil {
			return err
		}
		r.rep.add(Row{Name: "refit on the whole catalog + re-embed + switch", Value: time.Since(t).Seconds(), Unit: "s",
			Note: fmt.Sprintf("%d papers; the old space serves meanwhile", opt.Papers)})

		opt.Stage("start-up")
		t = time.Now()
		if cat, err = catalog.Open(ctx, st, ccfg, opt.Log, r.clock.Now); err != nil {
			return err
		}
		took := time.Since(t)
		r.rep.add(Row{Name: fmt.Sprintf("start-up: load %d papers into the index", cat.Len()), Value: took.Seconds(), Unit: "s",
			Budget: "≤ 2 s", Pass: check(took <= 2*time.Second)})
	}

	opt.Stage("import users (" + backend + ")")
	vectors := func() rank.VectorSource { return cat.Space() }
	profiles := rank.NewProfiles(st, vectors, 0, r.clock.Now)
	tokens, err := r.importUsers(ctx, st, profiles)
	if err != nil {
		return err
	}

	opt.Stage("daily run (" + backend + ")")
	r.clock.t = r.day.Add(-time.Hour)
	if _, err := cat.IngestReader(ctx, bytes.NewReader(JSONL(r.w.Candidates)), "jsonl", "bench"); err != nil {
		return err
	}
	r.clock.t = r.day
	// The default strategy, with its model trained as the service does
	// after each run.
	ranker := rank.NewRanker(st, cat.Space, rank.DailyConfig{Strategy: rank.Learned{Beta: 0.5}}, opt.Log, r.clock.Now)
	t = time.Now()
	model, err := ranker.Train(ctx)
	if err != nil {
		return err
	}
	if full {
		r.rep.add(Row{Name: "model training of the learned strategy (after a run, not in it)", Value: time.Since(t).Seconds(), Unit: "s",
			Note: fmt.Sprintf("whitening of %d papers and a transform learned from %d likes", cat.Len(), model.Likes)})
	}
	t = time.Now()
	run, err := ranker.RunDaily(ctx, r.date)
	if err != nil {
		return err
	}
	whole := time.Since(t) // the ranker's own clock is the benchmark's fake one
	stats := ranker.LastStats()
	if full {
		peer, err := r.peerPerUser(ctx, st, cat.Space(), stats.Profiles)
		if err != nil {
			return err
		}
		ratio := peer.Seconds() / stats.Score.Seconds()
		r.rep.add(Row{Name: fmt.Sprintf("daily run scoring, %d users × %d candidates", stats.Profiles, stats.Candidates), Value: stats.Score.Seconds(), Unit: "s",
			Budget: "≤ 10 s; ≥ 100× one chromem-go query per user", Pass: check(stats.Score <= 10*time.Second && ratio >= 100),
			Peer: fmt.Sprintf("%.1f s extrapolated from %d users", peer.Seconds(), opt.PeerUsers), Ratio: ratio,
			Note: fmt.Sprintf("profiles built in %v, choosing (reasons, fill) %v", stats.Build.Round(time.Millisecond), stats.Choose.Round(time.Millisecond))})
	}
	r.rep.add(Row{Name: fmt.Sprintf("daily run, whole, picks stored, %s", backend), Value: whole.Seconds(), Unit: "s",
		Budget: "≤ 60 s", Pass: check(whole <= 60*time.Second),
		Note: fmt.Sprintf("%d picks for %d users; saving took %v", run.Picks, run.Users, stats.Save.Round(time.Millisecond))})

	opt.Stage("HTTP (" + backend + ")")
	return r.measureHTTP(ctx, st, cat, profiles, ranker, tokens, backend, full)
}

// importUsers seeds the synthetic users with their likes, profiles built
// by the same replay as live feedback, and returns their API tokens.
func (r *runner) importUsers(ctx context.Context, st store.Store, profiles *rank.Profiles) ([]string, error) {
	const batch = 2000
	tokens := make([]string, len(r.w.Users))
	var part []store.UserImport
	for i, u := range r.w.Users {
		tokens[i] = fmt.Sprintf("pp_bench%010d", i)
		log := make([]paperpicks.Feedback, len(u.Likes))
		for j, id := range u.Likes {
			log[j] = paperpicks.Feedback{UserID: u.ID, PaperID: id, Value: paperpicks.VoteUp, At: r.clock.t.Add(time.Duration(j) * time.Second)}
		}
		prof, err := profiles.Replay(u.ID, log)
		if err != nil {
			return nil, err
		}
		part = append(part, store.UserImport{
			User:      &paperpicks.User{ID: u.ID, TimeZone: "UTC", PicksPerDay: 10, CreatedAt: r.clock.t},
			TokenHash: users.HashToken(tokens[i]), Log: log, Profile: prof,
		})
		if len(part) == batch || i == len(r.w.Users)-1 {
			if err := st.ImportUsers(ctx, part); err != nil {
				return nil, err
			}
			part = part[:0]
		}
	}
	return tokens, nil
}

// peerPerUser times one chromem-go query per user for a sample of users:
// the whole catalog in one collection, each query restricted to the day's
// papers by a metadata filter, as a recommender built directly on
// chromem-go would do it; the time is extrapolated to all users.
func (r *runner) peerPerUser(ctx context.Context, st store.Store, sp *catalog.Space, users int) (time.Duration, error) {
	col, err := chromem.NewDB().CreateCollection("peer", nil, func(context.Context, string) ([]float32, error) {
		return nil, errors.New("no text queries")
	})
	if err != nil {
		return 0, err
	}
	ids, m := sp.Index.Since(time.Time{}, r.day.Add(time.Hour))
	docs := make([]chromem.Document, 0, len(ids))
	for i, id := range ids {
		day := "old"
		if strings.HasPrefix(id, "new-") {
			day = r.date
		}
		docs = append(docs, chromem.Document{ID: id, Embedding: m.Row(i), Metadata: map[string]string{"day": day}})
	}
	if err := col.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
		return 0, err
	}
	n := min(r.opt.PeerUsers, len(r.w.Users))
	var total time.Duration
	for i := 0; i < n; i++ {
		p, err := st.GetProfile(ctx, r.w.Users[i].ID)
		if err != nil {
			return 0, err
		}
		q := embed.Normalize(append([]float32(nil), p.UpSum...))
		t := time.Now()
		if _, err := col.QueryEmbedding(ctx, q, 10, map[string]string{"day": r.date}, nil); err != nil {
			return 0, err
		}
		total += time.Since(t)
	}
	return total / time.Duration(n) * time.Duration(users), nil
}

// measureHTTP serves the real router on loopback and loads it.
func (r *runner) measureHTTP(ctx context.Context, st store.Store, cat *catalog.Catalog, profiles *rank.Profiles, ranker *rank.Ranker, tokens []string, backend string, full bool) error {
	opt := r.opt
	srv := server.New(server.Config{MaxBodyBytes: 1 << 20},
		server.Deps{Catalog: cat, Users: users.New(st, nil), Profiles: profiles, Ranker: ranker, Store: st}, opt.Log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	// Requests whose clients gave up at the end of a load run still finish
	// (a queued feedback event waits for its commit) before the store closes.
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}
	defer stop()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opt.Workers * 2}}
	rng := rand.New(rand.NewPCG(opt.Seed, 99))
	pick := make([]int, opt.Requests)
	for i := range pick {
		pick[i] = rng.IntN(len(r.w.Papers))
	}

	if full {
		sp := cat.Space()
		sp.Index.WaitIVF() // measure the steady state, not the first seconds after start-up
		lists, built := sp.Index.IVFStatus()
		if lists > 0 {
			rec, err := recallAt10(ctx, sp, r.w.Papers, pick[:min(500, len(pick))])
			if err != nil {
				return err
			}
			r.rep.add(Row{Name: "more like this: recall@10 of the inverted file vs the exact scan", Value: rec, Unit: "",
				Note: fmt.Sprintf("%d lists, built in the background in %v after start-up", lists, built.Round(time.Millisecond))})
		}
		similar := httpOp(client, func(i int) (*http.Request, error) {
			return http.NewRequest("GET", base+"/v1/papers/"+r.w.Papers[pick[i]].ID+"/similar?k=10", nil)
		})
		// Latency is measured with one client per core, throughput with
		// many: with 16 clients on 2 cores a request mostly waits its turn.
		lat := Load(ctx, runtime.GOMAXPROCS(0), opt.Requests/4, opt.Duration, similar)
		sim := Load(ctx, opt.Workers, opt.Requests, opt.Duration, similar)
		peer := Load(ctx, opt.Workers, opt.Requests, opt.Duration, func(ctx context.Context, i int) error {
			v, _ := sp.Vector(r.w.Papers[pick[i]].ID)
			_, err := sp.Index.ReferenceNearest(ctx, v, 10, r.w.Papers[pick[i]].ID)
			return err
		})
		r.rep.add(Row{Name: fmt.Sprintf("more like this over HTTP, %d papers, p99", cat.Len()), Value: ms(lat.P99), Unit: "ms",
			Budget: "≤ 10 ms", Pass: check(lat.P99 <= 10*time.Millisecond && lat.Errors == 0), Peer: fmt.Sprintf("chromem-go query, in process: p99 %.1f ms", ms(peer.P99)),
			Ratio: ms(peer.P99) / ms(lat.P99), Note: fmt.Sprintf("p50 %.2f ms, %d requests, %d errors, %d clients; with %d clients p50 %.2f ms, p99 %.2f ms",
				ms(lat.P50), lat.Requests, lat.Errors, runtime.GOMAXPROCS(0), opt.Workers, ms(sim.P50), ms(sim.P99))})
		r.rep.add(Row{Name: "more like this over HTTP, throughput", Value: sim.PerSec, Unit: "req/s",
			Budget: "≥ 2,000 req/s", Pass: check(sim.PerSec >= 2000 && sim.Errors == 0),
			Peer: fmt.Sprintf("chromem-go query, in process: %.0f q/s", peer.PerSec), Ratio: sim.PerSec / peer.PerSec,
			Note: fmt.Sprintf("%d clients in this process, sharing its 2 cores with the server", opt.Workers)})
	}

	values := []string{"up", "down", "none"}
	feedback := httpOp(client, func(i int) (*http.Request, error) {
		u := (i * 7919) % len(r.w.Users)
		body := fmt.Sprintf(`{"paper_id":%q,"value":%q}`, r.w.Papers[pick[i]].ID, values[i%3])
		req, err := http.NewRequest("POST", base+"/v1/users/"+r.w.Users[u].ID+"/feedback", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tokens[u])
		}
		return req, err
	})
	fbLat := Load(ctx, runtime.GOMAXPROCS(0), opt.Requests/4, opt.Duration, feedback)
	fb := Load(ctx, opt.Workers, opt.Requests, opt.Duration, feedback)
	r.rep.add(Row{Name: fmt.Sprintf("feedback over HTTP, durable, %s", backend), Value: fb.PerSec, Unit: "req/s",
		Budget: "≥ 2,000 req/s, p99 ≤ 20 ms", Pass: check(fb.PerSec >= 2000 && fbLat.P99 <= 20*time.Millisecond && fb.Errors+fbLat.Errors == 0),
		Note: fmt.Sprintf("%d clients: p50 %.2f ms, p99 %.2f ms; %d clients: p50 %.2f ms, p99 %.2f ms; %d requests, %d errors",
			runtime.GOMAXPROCS(0), ms(fbLat.P50), ms(fbLat.P99), opt.Workers, ms(fb.P50), ms(fb.P99), fb.Requests+fbLat.Requests, fb.Errors+fbLat.Errors)})

	if full {
		if opt.Binary != "" {
			stop()
			return r.measureService(ctx, cat.Len())
		}
		// Without the binary, the benchmark's own process stands in: an
		// upper bound, as it also holds the workload.
		rss, peak := memoryOf(os.Getpid())
		r.rep.add(Row{Name: fmt.Sprintf("resident memory, %d papers + %d users (the benchmark process)", cat.Len(), len(r.w.Users)), Value: float64(rss) / (1 << 20), Unit: "MiB",
			Budget: "≤ 1.5 GiB", Pass: check(rss <= 1536<<20), Note: fmt.Sprintf("peak %d MiB; it also holds the generated workload", peak>>20)})
	}
	return nil
}

// recallAt10 is the share of the exact ten nearest papers that the index's
// answer contains, over the sampled papers.
func recallAt10(ctx context.Context, sp *catalog.Space, papers []paperpicks.Paper, sample []int) (float64, error) {
	hit, total := 0, 0
	for _, i := range sample {
		id := papers[i].ID
		got, err := sp.Index.Similar(ctx, id, 10)
		if err != nil {
			return 0, err
		}
		v, _ := sp.Vector(id)
		want, err := sp.Index.NearestExact(ctx, v, 10, id)
		if err != nil {
			return 0, err
		}
		in := map[string]bool{}
		for _, h := range got {
			in[h.ID] = true
		}
		for _, h := range want {
			if in[h.ID] {
				hit++
			}
		}
		total += len(want)
	}
	return float64(hit) / float64(max(total, 1)), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// machine describes where the benchmark ran.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name\t: "); ok {
				cpu = name
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
