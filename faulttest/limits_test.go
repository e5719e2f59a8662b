package faulttest

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeAppliesLimits checks that the limits in the configuration
// reach the running service: the rate limit (429 with Retry-After), the
// body limit (413), and the read and idle timeouts, which cut off a client
// that sends its headers too slowly and a connection left idle.
func TestServeAppliesLimits(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	run(t, b, "ingest", samplePapers)
	svc := serve(t, b, "PAPERPICKS_HTTP_RATE_LIMIT=0.2", "PAPERPICKS_HTTP_RATE_BURST=3", "PAPERPICKS_HTTP_MAX_BODY_BYTES=2048",
		"PAPERPICKS_HTTP_READ_TIMEOUT=1s", "PAPERPICKS_HTTP_IDLE_TIMEOUT=1s")

	for i := range 3 {
		if r := svc.call(t, "GET", "/v1/search?q=graph", "", nil); r.status != 200 {
			t.Fatalf("request %d of the burst: %s", i+1, r)
		}
	}
	r := svc.call(t, "GET", "/v1/search?q=graph", "", nil)
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || r.code() != "rate_limited" || err != nil || s < 1 || s > 5 {
		t.Errorf("past the burst: %s, Retry-After %q; want 429 rate_limited, 1..5 s", r, r.header.Get("Retry-After"))
	}
	if r := svc.call(t, "GET", "/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz of a limited client: %s", r)
	}
	// The admin is not limited; the body limit applies to everyone.
	big := `[{"id":"big-1","title":"T","abstract":"` + strings.Repeat("a", 3000) + `"}]`
	if r := svc.call(t, "POST", "/v1/papers", adminToken, []byte(big)); r.status != 413 || r.code() != "too_large" {
		t.Errorf("body over http.max_body_bytes: %s, want 413 too_large", r)
	}

	host := strings.TrimPrefix(svc.url, "http://")
	// Headers that never end: cut off after the read timeout.
	slow, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	slow.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
	if took := closedAfter(t, slow); took > 4*time.Second {
		t.Errorf("a client stalled in its headers was cut off after %v, want about 1 s", took)
	} else {
		t.Logf("stalled headers cut off after %v", time.Since(start).Round(time.Millisecond))
	}
	// An idle keep-alive connection: closed after the idle timeout.
	idle, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	if n, err := idle.Read(buf); err != nil || !bytes.Contains(buf[:n], []byte("200 OK")) {
		t.Fatalf("keep-alive request: %q, %v", buf[:n], err)
	}
	if took := closedAfter(t, idle); took > 4*time.Second {
		t.Errorf("an idle connection was closed after %v, want about 1 s", took)
	}
	svc.stop()
}

// closedAfter reads from c until the server closes it and returns how
// long that took (at most 6 s).
func closedAfter(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(6 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the connection is still open after %v", time.Since(start).Round(time.Millisecond))
	}
	return time.Since(start)
}
