package ingest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
)

// fastRetries keeps the waits between attempts short.
var fastRetries = FetchOptions{Backoff: time.Millisecond, Timeout: 5 * time.Second}

// serve starts a test server whose handler gets the 1-based attempt number.
func serve(t *testing.T, h func(w http.ResponseWriter, r *http.Request, attempt int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, int(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// readAllClose reads and closes rc.
func readAllClose(t *testing.T, rc io.ReadCloser) (string, error) {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestOpenURLRetriesThenSucceeds(t *testing.T) {
	srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "[]")
	})
	rc, name, size, err := Open(context.Background(), srv.URL+"/api/daily_papers", fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	body, err := readAllClose(t, rc)
	if err != nil || body != "[]" || size != 2 || name != srv.URL+"/api/daily_papers" || n.Load() != 3 {
		t.Fatalf("body %q size %d name %q err %v after %d attempts", body, size, name, err, n.Load())
	}
}

func TestOpenURLRetryAfter(t *testing.T) {
	var first time.Time
	var gap time.Duration
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		io.WriteString(w, "ok")
	})
	rc, _, _, err := Open(context.Background(), srv.URL, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	readAllClose(t, rc)
	if gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want the 1s of Retry-After", gap)
	}

	// A Retry-After beyond MaxWait is cut to it.
	srv2, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	opt := fastRetries
	opt.Retries, opt.MaxWait = 2, 10*time.Millisecond
	start := time.Now()
	_, _, _, err = Open(context.Background(), srv2.URL, opt)
	if !paperpicks.IsCode(err, paperpicks.EUNAVAILABLE) || n.Load() != 3 || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %d attempts in %v", err, n.Load(), time.Since(start))
	}
}

func TestOpenURLGivesUp(t *testing.T) {
	srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	_, _, _, err := Open(context.Background(), srv.URL, fastRetries)
	if !paperpicks.IsCode(err, paperpicks.EUNAVAILABLE) || n.Load() != 4 {
		t.Fatalf("err %v after %d attempts; want EUNAVAILABLE after 4", err, n.Load())
	}
	if msg := paperpicks.ErrorMessage(err); !strings.Contains(msg, srv.URL) || !strings.Contains(msg, "502") || !strings.Contains(msg, "after 4 attempts") {
		t.Errorf("message %q should name the URL, the status and the attempts", msg)
	}

	opt := fastRetries
	opt.Retries = -1
	n.Store(0)
	if _, _, _, err := Open(context.Background(), srv.URL, opt); !paperpicks.IsCode(err, paperpicks.EUNAVAILABLE) || n.Load() != 1 {
		t.Fatalf("Retries -1: err %v after %d attempts", err, n.Load())
	}
}

func TestOpenURLClientErrorNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusBadRequest, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				http.Error(w, "no", status)
			})
			_, _, _, err := Open(context.Background(), srv.URL+"/missing", fastRetries)
			if !paperpicks.IsCode(err, paperpicks.EINVALID) || n.Load() != 1 {
				t.Fatalf("err %v after %d attempts; want EINVALID after 1", err, n.Load())
			}
		})
	}
}

func TestOpenURLNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	_, _, _, err := Open(context.Background(), url, FetchOptions{Backoff: time.Millisecond, Retries: 1})
	if !paperpicks.IsCode(err, paperpicks.EUNAVAILABLE) {
		t.Fatalf("err %v, want EUNAVAILABLE", err)
	}
}

func TestOpenURLTimeouts(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 { // stalls before the headers: retried
			select {
			case <-block:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("part"))
		w.(http.Flusher).Flush()
		select { // stalls mid-body: the read fails
		case <-block:
		case <-r.Context().Done():
		}
	})
	opt := FetchOptions{Timeout: 100 * time.Millisecond, Backoff: time.Millisecond, Retries: 1}
	rc, _, _, err := Open(context.Background(), srv.URL, opt)
	if err != nil || n.Load() != 2 {
		t.Fatalf("err %v after %d attempts", err, n.Load())
	}
	body, err := readAllClose(t, rc)
	if body != "part" || !paperpicks.IsCode(err, paperpicks.EUNAVAILABLE) {
		t.Fatalf("body %q err %v; want the first part and EUNAVAILABLE", body, err)
	}
}

func TestOpenURLMaxBytes(t *testing.T) {
	big := strings.Repeat("x", 1000)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if r.URL.Path == "/chunked" {
			w.Write([]byte(big[:500]))
			w.(http.Flusher).Flush() // no Content-Length
			w.Write([]byte(big[500:]))
			return
		}
		io.WriteString(w, big)
	})
	opt := fastRetries
	opt.MaxBytes = 100
	_, _, _, err := Open(context.Background(), srv.URL+"/sized", opt)
	if !paperpicks.IsCode(err, paperpicks.ETOOLARGE) {
		t.Fatalf("declared size: err %v, want ETOOLARGE", err)
	}
	rc, _, size, err := Open(context.Background(), srv.URL+"/chunked", opt)
	if err != nil || size != -1 {
		t.Fatalf("chunked: size %d err %v", size, err)
	}
	body, err := readAllClose(t, rc)
	if len(body) != 100 || !paperpicks.IsCode(err, paperpicks.ETOOLARGE) {
		t.Fatalf("read %d bytes, err %v; want 100 and ETOOLARGE", len(body), err)
	}
	opt.MaxBytes = 1000 // exactly the size is fine
	rc, _, _, err = Open(context.Background(), srv.URL+"/chunked", opt)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := readAllClose(t, rc); len(body) != 1000 || err != nil {
		t.Fatalf("read %d bytes, err %v", len(body), err)
	}
}

func TestOpenURLHeadersAndName(t *testing.T) {
	var ua string
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		ua = r.Header.Get("User-Agent")
		io.WriteString(w, "ok")
	})
	rc, name, _, err := Open(context.Background(), srv.URL, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readAllClose(t, rc)
	if ua != "paperpicks/0.1 (+https://github.com/paperpicks/paperpicks)" {
		t.Errorf("User-Agent %q", ua)
	}
	rc, _, _, err = Open(context.Background(), srv.URL, FetchOptions{UserAgent: "custom/1"})
	if err != nil {
		t.Fatal(err)
	}
	readAllClose(t, rc)
	if ua != "custom/1" {
		t.Errorf("User-Agent %q, want custom/1", ua)
	}
	withUser := strings.Replace(srv.URL, "http://", "http://me:secret@", 1)
	rc, name, _, err = Open(context.Background(), withUser, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readAllClose(t, rc)
	if strings.Contains(name, "secret") {
		t.Errorf("name %q shows the password", name)
	}
}

func TestOpenURLCancelled(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, _, err := Open(ctx, srv.URL, FetchOptions{Backoff: time.Hour, MaxWait: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's", err)
	}
}

func TestOpenStdin(t *testing.T) {
	rc, name, size, err := Open(context.Background(), "-", FetchOptions{Stdin: strings.NewReader(`{"id":"x"}`)})
	if err != nil || name != "stdin" || size != -1 {
		t.Fatalf("name %q size %d err %v", name, size, err)
	}
	if body, err := readAllClose(t, rc); body != `{"id":"x"}` || err != nil {
		t.Fatalf("body %q err %v", body, err)
	}
	rc, _, _, _ = Open(context.Background(), "-", FetchOptions{Stdin: strings.NewReader("0123456789"), MaxBytes: 4})
	if _, err := readAllClose(t, rc); !paperpicks.IsCode(err, paperpicks.ETOOLARGE) {
		t.Fatalf("err %v, want ETOOLARGE", err)
	}
}

func TestOpenFile(t *testing.T) {
	rc, name, size, err := Open(context.Background(), "../testdata/arxiv-api.atom", FetchOptions{MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	body, err := readAllClose(t, rc)
	if err != nil || int64(len(body)) != size || name != "../testdata/arxiv-api.atom" {
		t.Fatalf("read %d of %d bytes from %q: %v (files are not bound by MaxBytes)", len(body), size, name, err)
	}

	dir := t.TempDir()
	unreadable := filepath.Join(dir, "secret.jsonl")
	os.WriteFile(unreadable, []byte("{}"), 0o000)
	tests := []struct {
		name, source, code string
	}{
		{"missing file", filepath.Join(dir, "nope.jsonl"), paperpicks.EINVALID},
		{"directory", dir, paperpicks.EINVALID},
		{"empty source", " ", paperpicks.EINVALID},
		{"other scheme", "ftp://example.org/papers.jsonl", paperpicks.EINVALID},
		{"bad URL", "http://%zz", paperpicks.EINVALID},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct{ name, source, code string }{"unreadable", unreadable, paperpicks.EINVALID})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := Open(context.Background(), tt.source, FetchOptions{})
			if !paperpicks.IsCode(err, tt.code) {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
			if tt.source != " " && !strings.Contains(paperpicks.ErrorMessage(err), strings.TrimSpace(tt.source)[:10]) {
				t.Errorf("message %q does not name the source", paperpicks.ErrorMessage(err))
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 11, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"5", 5 * time.Second}, {"-3", 0}, {"soon", 0},
		{"Tue, 05 Nov 2024 12:00:30 GMT", 30 * time.Second},
		{"Tue, 05 Nov 2024 11:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Open and Parse together: the path the CLI takes.
func TestOpenThenParse(t *testing.T) {
	data := readFixture(t, "hf-daily.json")
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) { w.Write(data) })
	rc, name, _, err := Open(context.Background(), srv.URL+"/api/daily_papers", fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	peek := data[:64]
	f, err := Detect(peek, name)
	if err != nil || f != FormatHFDaily {
		t.Fatalf("Detect = %q, %v", f, err)
	}
	n := 0
	err = Parse(context.Background(), rc, f, func(it Item) error {
		if it.Problem == "" {
			n++
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("%d papers, err %v", n, err)
	}
}
