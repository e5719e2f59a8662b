package faulttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgServer is a private PostgreSQL server the test starts and stops.
type pgServer struct {
	t    *testing.T
	bin  string
	dir  string
	data string
	port int
	cred *syscall.Credential // nil: run as ourselves
}

// startPostgres initdb's a server into a fresh directory and starts it on
// a free port. Without PostgreSQL binaries the test is skipped, or fails
// when CI is set. Run as root, the server runs as PGTEST_USER (default
// pgtest, which .ci/start-postgres.sh creates): initdb refuses root.
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql-15)")
	}
	sort.Strings(bins)
	pg := &pgServer{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	if os.Getuid() == 0 {
		name := os.Getenv("PGTEST_USER")
		if name == "" {
			name = "pgtest"
		}
		u, err := user.Lookup(name)
		if err != nil {
			skip("running as root and there is no user %q to run PostgreSQL as (useradd -m %s)", name, name)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "paperpicks-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg.dir, pg.data = dir, filepath.Join(dir, "data")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(pg.data, 0o700); err != nil {
		t.Fatal(err)
	}
	if pg.cred != nil {
		if err := os.Chown(pg.data, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	pg.ctl("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync", "--encoding=UTF8", "--locale=C")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	pg.start()
	t.Cleanup(func() {
		if pg.running() {
			pg.stop("immediate")
		}
	})
	return pg
}

// ctl runs one of the server's programs as the server's user.
func (pg *pgServer) ctl(prog string, args ...string) {
	pg.t.Helper()
	cmd := exec.Command(filepath.Join(pg.bin, prog), args...)
	cmd.Dir = pg.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C"}
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.data, "server.log"))
		pg.t.Fatalf("%s %s: %v\n%s\n%s", prog, strings.Join(args, " "), err, out, tail(string(log)))
	}
}

func (pg *pgServer) start() {
	pg.t.Helper()
	// The socket goes in the data directory: the only one the server's
	// user may write.
	opts := fmt.Sprintf("-p %d -h 127.0.0.1 -k %s -c fsync=off -c max_connections=50", pg.port, pg.data)
	pg.ctl("pg_ctl", "-D", pg.data, "-o", opts, "-l", filepath.Join(pg.data, "server.log"), "-w", "-t", "30", "start")
}

// stop stops the server: "fast" (clean) or "immediate" (like a crash).
func (pg *pgServer) stop(mode string) {
	pg.t.Helper()
	pg.ctl("pg_ctl", "-D", pg.data, "-m", mode, "-w", "stop")
}

func (pg *pgServer) running() bool {
	_, err := os.Stat(filepath.Join(pg.data, "postmaster.pid"))
	return err == nil
}

func (pg *pgServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// TestPostgresRestartUnderService stops PostgreSQL (immediate: as in a
// crash) under a running service: requests that need the database answer
// 503 unavailable, /readyz too, and once the server is back they succeed
// again without restarting paperpicks, with nothing answered lost.
func TestPostgresRestartUnderService(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	b := &backend{name: "postgres", data: t.TempDir(), url: pg.url()}
	b.env = []string{"PAPERPICKS_STORE_DRIVER=postgres", "PAPERPICKS_STORE_POSTGRES_URL=" + b.url}
	run(t, b, "ingest", samplePapers)
	svc := serve(t, b)
	ids := sampleIDs(t)
	uid, tok := svc.createUser(t)
	like := func(paper string) response {
		return svc.call(t, "POST", "/v1/users/"+uid+"/feedback", tok, []byte(`{"paper_id":"`+paper+`","value":"up"}`))
	}
	if r := like(ids[0]); r.status != 200 {
		t.Fatalf("feedback before the stop: %s", r)
	}

	pg.stop("immediate")
	down := []struct{ method, path, token, body string }{
		{"GET", "/readyz", "", ""},
		{"POST", "/v1/users/" + uid + "/feedback", tok, `{"paper_id":"` + ids[1] + `","value":"up"}`},
		{"POST", "/v1/users/" + uid + "/feedback", adminToken, `{"paper_id":"` + ids[1] + `","value":"up"}`},
		{"GET", "/v1/users/" + uid + "/likes", tok, ""},
		{"GET", "/v1/users/" + uid, adminToken, ""},
		{"GET", "/v1/papers/" + ids[2], "", ""},
		{"GET", "/v1/papers/" + ids[2] + "/similar?k=3", "", ""},
		{"GET", "/v1/search?q=graph+neural+networks", "", ""},
		{"POST", "/v1/users", adminToken, "{}"},
		{"POST", "/v1/papers", adminToken, `[{"id":"pg-down-1","title":"T","abstract":"A"}]`},
	}
	for round := range 2 { // the first round meets dead pooled connections, the second new dials
		for _, d := range down {
			start := time.Now()
			r := svc.call(t, d.method, d.path, d.token, []byte(d.body))
			if r.status != 503 || r.code() != "unavailable" {
				t.Errorf("round %d, database down: %s %s = %s, want 503 unavailable", round+1, d.method, d.path, r)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("database down: %s %s took %v", d.method, d.path, took)
			}
		}
	}
	if r := svc.call(t, "GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("healthz (liveness) while the database is down = %s", r)
	}

	pg.start()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := svc.call(t, "GET", "/readyz", "", nil)
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz after the database came back: %s", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if svc.exited() {
		t.Fatal("paperpicks exited while the database was down")
	}
	if r := like(ids[3]); r.status != 200 {
		t.Fatalf("feedback after the restart: %s", r)
	}
	r := svc.must(t, 200, "GET", "/v1/users/"+uid+"/likes", tok, nil)
	got := map[string]bool{}
	for _, p := range r.body["papers"].([]any) {
		got[p.(map[string]any)["paper_id"].(string)] = true
	}
	if !got[ids[0]] || !got[ids[3]] || got[ids[1]] {
		t.Errorf("likes after the restart = %v, want %s and %s (and not %s, refused while down)", got, ids[0], ids[3], ids[1])
	}
	svc.must(t, 200, "GET", "/v1/papers/"+ids[2]+"/similar?k=3", "", nil)
	svc.stop()
}
