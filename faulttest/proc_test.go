package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

const adminToken = "fault-admin-token"

// samplePapers is the path of the sample catalog (119 papers).
const samplePapers = "../testdata/papers.jsonl"

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds cmd/paperpicks and storetool once per test run, without
// the race detector, and returns the path of name.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "paperpicks-faulttest-"); buildErr != nil {
			return
		}
		// go test puts its own go command first on PATH.
		cmd := exec.Command("go", "build", "-o", buildDir+string(filepath.Separator),
			"github.com/paperpicks/paperpicks/cmd/paperpicks", "github.com/paperpicks/paperpicks/faulttest/internal/storetool")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name)
}

// backend is a store the children and the test share: a data directory
// and, for PostgreSQL, a database of its own.
type backend struct {
	name string
	data string
	env  []string // PAPERPICKS_* settings that point a child at the store
	url  string   // PostgreSQL only
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name, data: t.TempDir()}
	if name == "postgres" {
		b.url = pgtest.NewDatabase(t)
		b.env = []string{"PAPERPICKS_STORE_DRIVER=postgres", "PAPERPICKS_STORE_POSTGRES_URL=" + b.url}
	}
	return b
}

// open opens the backend's store in the test process; it is closed when
// the test ends.
func (b *backend) open(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if b.name == "postgres" {
		st, err = postgres.Open(ctx, b.url)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(b.data, "paperpicks.db"), sqlite.Options{Synchronous: "NORMAL"})
	}
	if err != nil {
		t.Fatalf("open %s store: %v", b.name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// integrity runs PRAGMA integrity_check on a SQLite backend (nothing to
// check for PostgreSQL: only paperpicks was killed, not the server).
func (b *backend) integrity(t *testing.T) {
	t.Helper()
	if b.name != "sqlite" {
		return
	}
	var res struct{ Integrity string }
	b.check(t, &res, "integrity", filepath.Join(b.data, "paperpicks.db"))
	if res.Integrity != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q", res.Integrity)
	}
}

// check runs storetool and decodes its JSON answer into v; a STORE
// argument is this backend's.
func (b *backend) check(t *testing.T, v any, args ...string) {
	t.Helper()
	for i, a := range args {
		if a == "STORE" {
			args[i] = "sqlite:" + filepath.Join(b.data, "paperpicks.db")
			if b.name == "postgres" {
				args[i] = b.url
			}
		}
	}
	cmd := exec.Command(binary(t, "storetool"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("storetool %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("storetool %s: %q: %v", strings.Join(args, " "), out, err)
	}
}

// childEnv is the environment of a child: ours without any PAPERPICKS_*
// variable (config refuses unknown ones), plus the test's settings.
func childEnv(b *backend, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PAPERPICKS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "PAPERPICKS_ADMIN_TOKEN="+adminToken, "PAPERPICKS_DEMO=false", "PAPERPICKS_LOG_LEVEL=info",
		// Small vectors keep the children fast; no refit in the middle
		// of a test unless it asks for one.
		"PAPERPICKS_EMBEDDER_DIM=64", "PAPERPICKS_EMBEDDER_REFIT_FACTOR=1000")
	env = append(env, b.env...)
	return append(env, extra...)
}

// syncBuffer collects a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running child.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error // from Wait, once done is closed
}

// start runs the binary with --data and args on b.
func start(t *testing.T, b *backend, extraEnv []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.Command(binary(t, "paperpicks"), append([]string{"--data", b.data}, args...)...)
	p.cmd.Env = childEnv(b, extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start paperpicks %s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("paperpicks %s output:\n%s%s", p.name, tail(p.stdout.String()), tail(p.stderr.String()))
		}
	})
	return p
}

func tail(s string) string {
	const n = 4000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// wait waits for the child to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("paperpicks %s did not exit within %v", p.name, timeout)
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	p.t.Fatalf("paperpicks %s: %v", p.name, p.err)
	return -1
}

// run runs a command to completion and returns its stdout; it must exit 0.
func run(t *testing.T, b *backend, args ...string) string {
	t.Helper()
	p := start(t, b, nil, args...)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("paperpicks %s exited %d:\n%s%s", p.name, code, p.stdout.String(), tail(p.stderr.String()))
	}
	return p.stdout.String()
}

// waitFor waits until the child's stderr (its log) contains s.
func (p *proc) waitFor(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.stderr.String(), s) {
		if time.Now().After(deadline) || p.exited() {
			p.t.Fatalf("paperpicks %s never logged %q", p.name, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// service is a running `paperpicks serve`.
type service struct {
	*proc
	url string
}

var runningAt = regexp.MustCompile(`running at (http://\S+)`)

// serve starts the service on a free port and waits until it is ready.
func serve(t *testing.T, b *backend, extraEnv ...string) *service {
	t.Helper()
	p := start(t, b, extraEnv, "serve", "--addr", "127.0.0.1:0")
	deadline := time.Now().Add(30 * time.Second)
	var url string
	for url == "" {
		if m := runningAt.FindStringSubmatch(p.stdout.String()); m != nil {
			url = m[1]
		} else if p.exited() || time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	s := &service{proc: p, url: url}
	for {
		if r := s.call(t, "GET", "/readyz", "", nil); r.status == 200 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("serve never became ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks the service exits 0.
func (s *service) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if code := s.wait(30 * time.Second); code != 0 {
		s.t.Fatalf("serve exited %d after SIGTERM", code)
	}
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
	err    error // transport error: no answer
}

func (r response) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r response) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("%d %.300s", r.status, r.raw)
}

// call sends one request; a transport error is in the response.
func (s *service) call(t *testing.T, method, path, token string, body []byte) response {
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{err: err}
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// must is call that wants status.
func (s *service) must(t *testing.T, status int, method, path, token string, body []byte) response {
	t.Helper()
	r := s.call(t, method, path, token, body)
	if r.status != status {
		t.Fatalf("%s %s: %s, want %d", method, path, r, status)
	}
	return r
}

// createUser makes a user over HTTP and returns its id and token.
func (s *service) createUser(t *testing.T) (string, string) {
	t.Helper()
	r := s.must(t, 201, "POST", "/v1/users", adminToken, []byte(`{}`))
	return r.body["id"].(string), r.body["token"].(string)
}

// sampleIDs are the ids of the sample catalog.
func sampleIDs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(samplePapers)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// vocabulary is the words of the sample catalog, for synthetic papers
// whose text looks like real abstracts to the embedder.
func vocabulary(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(samplePapers)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var words []string
	for _, w := range strings.FieldsFunc(string(raw), func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
		w = strings.ToLower(w)
		if len(w) > 3 && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// synthetic returns n papers with fixed-seed text (titles of 8 words,
// abstracts of 150) and ids "<prefix>-00000" on.
func synthetic(t *testing.T, n int, prefix string, seed uint64) []paperpicks.Paper {
	t.Helper()
	words := vocabulary(t)
	rng := rand.New(rand.NewPCG(seed, 42))
	text := func(k int) string {
		topic := rng.IntN(len(words) - 200)
		ws := make([]string, k)
		for i := range ws {
			if rng.IntN(3) == 0 {
				ws[i] = words[rng.IntN(len(words))]
			} else {
				ws[i] = words[topic+rng.IntN(200)] // a topic: a window of the vocabulary
			}
		}
		return strings.Join(ws, " ")
	}
	out := make([]paperpicks.Paper, n)
	for i := range out {
		out[i] = paperpicks.Paper{ID: fmt.Sprintf("%s-%05d", prefix, i), Title: text(8), Abstract: text(150), Authors: []string{"A. Author"}}
	}
	return out
}

// jsonl encodes papers one per line.
func jsonl(t *testing.T, papers []paperpicks.Paper) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range papers {
		if err := enc.Encode(papers[i]); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// forEachBackend runs fn on SQLite and on PostgreSQL (skipped without a
// test server, failing in CI; see pgtest), in parallel with each other
// and with the other fault tests: they mostly wait on children.
func forEachBackend(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newBackend(t, name))
		})
	}
}

// vectorsMatchPapers checks that every paper has its vector in the
// active space and no vector is without its paper, and returns the count.
func vectorsMatchPapers(t *testing.T, b *backend) int {
	t.Helper()
	var res struct {
		Space           string
		Papers, Vectors int
		Missing         []string
		Orphans         int
		Dims            map[string]int
	}
	b.check(t, &res, "vectors", "STORE")
	if len(res.Missing) > 0 || res.Orphans > 0 || res.Papers != res.Vectors {
		t.Fatalf("space %s: %d papers, %d vectors, %d papers without a vector (e.g. %.3q), %d vectors without a paper",
			res.Space, res.Papers, res.Vectors, len(res.Missing), res.Missing, res.Orphans)
	}
	if len(res.Dims) != 1 || res.Dims["64"] != res.Vectors {
		t.Fatalf("vector dimensions %v, want all 64", res.Dims)
	}
	return res.Vectors
}
