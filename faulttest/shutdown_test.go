package faulttest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestGracefulShutdown sends SIGTERM while a large POST /v1/papers is in
// flight (its body still arriving): new connections are refused, the
// request completes with 200 and every paper stored, the scheduler stops,
// and the process exits 0 saying so.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	run(t, b, "ingest", samplePapers)
	svc := serve(t, b)
	svc.waitFor("daily run finished", 10*time.Second) // the scheduler's catch-up at start

	const n = 2000
	papers := synthetic(t, n, "late", 2)
	body, err := json.Marshal(papers)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", svc.url+"/v1/papers", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	type result struct {
		status int
		body   map[string]any
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		var r result
		r.status = res.StatusCode
		r.err = json.NewDecoder(res.Body).Decode(&r.body)
		done <- r
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is reading the body

	svc.cmd.Process.Signal(syscall.SIGTERM)
	svc.waitFor("shutting down", 5*time.Second)
	// The listener closes: new connections are refused meanwhile.
	host := strings.TrimPrefix(svc.url, "http://")
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the service still accepts connections 5 s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("the in-flight request ended before its body was sent: %+v", r)
	default:
	}
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.status != 200 || r.body["added"] != float64(n) {
		t.Fatalf("in-flight ingest across SIGTERM: %+v", r)
	}
	if code := svc.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	log := svc.stderr.String()
	for _, want := range []string{"shutting down", "scheduler stopped", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, tail(log))
		}
	}
	if strings.Contains(log, "level=ERROR") {
		t.Errorf("errors logged during the shutdown:\n%s", tail(log))
	}
	if got := vectorsMatchPapers(t, b); got != 119+n {
		t.Errorf("%d papers with vectors after the shutdown, want %d", got, 119+n)
	}
}
