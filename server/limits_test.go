package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

func TestClientLimiter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newClientLimiter(2, 3, 4, clock) // 2/s, bursts of 3, 4 clients

	for i := range 3 {
		if d := l.take("a"); d != 0 {
			t.Fatalf("request %d of the burst waits %v", i+1, d)
		}
	}
	if d := l.take("a"); d <= 0 || d > 500*time.Millisecond {
		t.Fatalf("past the burst: wait %v, want (0, 500ms]", d)
	}
	if d := l.take("b"); d != 0 {
		t.Fatalf("another client is limited: %v", d)
	}
	now = now.Add(500 * time.Millisecond) // one token back
	if d := l.take("a"); d != 0 {
		t.Fatalf("after refill: wait %v", d)
	}
	if d := l.wait("a"); d <= 0 {
		t.Fatalf("wait after spending the refill = %v, want > 0", d)
	}
	if d := l.wait("never-seen"); d != 0 {
		t.Fatalf("wait of an unknown key = %v", d)
	}

	// Bounded: a flood of new keys never keeps more than max buckets.
	for i := range 100 {
		l.take(fmt.Sprint("flood-", i))
	}
	if n := l.len(); n != 4 {
		t.Fatalf("kept %d buckets, want at most 4", n)
	}
	// Idle buckets are full again and dropped as new keys arrive.
	now = now.Add(time.Hour)
	l.take("fresh")
	if n := l.len(); n != 1 {
		t.Fatalf("after an idle hour kept %d buckets, want 1", n)
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "a:192.0.2.7",
		"::ffff:192.0.2.7":          "a:192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "a:2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::1": "a:2001:db8:1:2::/64",
		"":                          "a:",
		"not an address":            "a:not an address",
		"2001:db8:1:3:3:4:5:6":      "a:2001:db8:1:3::/64",
		"fe80::1234:5678:9abc:def0": "a:fe80::/64",
		"2001:0db8:0001:0002::0001": "a:2001:db8:1:2::/64",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRateLimitHTTP checks the middleware end to end: 429 with
// Retry-After and the JSON error, buckets per token and per address,
// probes and the admin token exempt, unknown tokens charged to their
// address, and X-Forwarded-For believed only from a trusted proxy.
func TestRateLimitHTTP(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	us := users.New(st, nil)
	_, tokA, err := us.Create(context.Background(), users.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	_, tokB, _ := us.Create(context.Background(), users.Settings{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	newServer := func(proxies ...string) http.Handler {
		// 1 request per minute: nothing refills during the test.
		return New(Config{AdminToken: "admin", MaxBodyBytes: 1 << 20, RateLimit: 1.0 / 60, RateBurst: 2, TrustedProxies: proxies},
			Deps{Users: us, Store: st}, log).Handler()
	}
	h := newServer()
	send := func(h http.Handler, path, addr, token string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = addr
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	limited := func(w *httptest.ResponseRecorder) bool {
		t.Helper()
		if w.Code != http.StatusTooManyRequests {
			return false
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limited" || body.Error.Message == "" {
			t.Errorf("429 body %q: %v", w.Body.String(), err)
		}
		if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After %q, want 1..60 seconds", w.Header().Get("Retry-After"))
		}
		return true
	}

	const addr1, addr2 = "192.0.2.1:1234", "192.0.2.2:1234"
	// Per address: two requests of the burst, then 429.
	for i := range 2 {
		if w := send(h, "/v2/nothing", addr1, ""); w.Code != 404 {
			t.Fatalf("request %d = %d, want 404", i+1, w.Code)
		}
	}
	if w := send(h, "/v2/nothing", addr1, ""); !limited(w) {
		t.Fatalf("third request = %d, want 429", w.Code)
	}
	if w := send(h, "/v2/nothing", "192.0.2.1:9999", ""); !limited(w) {
		t.Errorf("another port of the same address = %d, want 429", w.Code)
	}
	if w := send(h, "/v2/nothing", addr2, ""); w.Code != 404 {
		t.Errorf("another address = %d, want 404", w.Code)
	}
	// Probes are never limited.
	for _, p := range []string{"/healthz", "/healthz", "/healthz"} {
		if w := send(h, p, addr1, ""); w.Code != 200 {
			t.Errorf("%s from a limited address = %d", p, w.Code)
		}
	}
	// A user's token has its own bucket, whatever the address.
	for i := range 2 {
		if w := send(h, "/v1/users/u_other", addr1, tokA); w.Code != 403 {
			t.Fatalf("token request %d = %d, want 403", i+1, w.Code)
		}
	}
	if w := send(h, "/v1/users/u_other", addr2, tokA); !limited(w) {
		t.Errorf("spent token from another address = %d, want 429", w.Code)
	}
	if w := send(h, "/v1/users/u_other", addr1, tokB); w.Code != 403 {
		t.Errorf("another token = %d, want 403", w.Code)
	}
	// The admin token is not limited.
	for range 5 {
		if w := send(h, "/v1/users/u_nobody", addr1, "admin"); w.Code != 404 {
			t.Fatalf("admin = %d, want 404", w.Code)
		}
	}
	// Made-up tokens each get a bucket, but their 401s drain the address's.
	const addr3 = "192.0.2.3:1"
	for i := range 2 {
		if w := send(h, "/v1/users/u_x", addr3, fmt.Sprint("pp_guess", i)); w.Code != 401 {
			t.Fatalf("guess %d = %d, want 401", i+1, w.Code)
		}
	}
	if w := send(h, "/v1/users/u_x", addr3, "pp_guess_again"); !limited(w) {
		t.Errorf("third unknown token from one address = %d, want 429", w.Code)
	}

	// X-Forwarded-For is ignored unless the connection is a trusted proxy.
	for i := range 3 {
		w := send(h, "/v2/nothing", addr1, "", "X-Forwarded-For", fmt.Sprint("198.51.100.", i))
		if !limited(w) {
			t.Errorf("spoofed X-Forwarded-For %d escaped the limit: %d", i, w.Code)
		}
	}
	hp := newServer("192.0.2.0/24")
	for i := range 3 {
		w := send(hp, "/v2/nothing", addr1, "", "X-Forwarded-For", fmt.Sprint("198.51.100.", i))
		if w.Code != 404 {
			t.Errorf("client %d behind a trusted proxy = %d, want 404", i, w.Code)
		}
	}
	send(hp, "/v2/nothing", addr1, "", "X-Forwarded-For", "198.51.100.9")
	send(hp, "/v2/nothing", addr1, "", "X-Forwarded-For", "198.51.100.9")
	if w := send(hp, "/v2/nothing", addr1, "", "X-Forwarded-For", "198.51.100.9"); !limited(w) {
		t.Errorf("one client behind a trusted proxy = %d, want 429", w.Code)
	}
}

func TestRateLimitDisabled(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := New(Config{MaxBodyBytes: 1 << 20}, Deps{}, log).Handler()
	for i := range 200 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/v2/nothing", nil))
		if w.Code != 404 {
			t.Fatalf("request %d = %d with limiting off", i+1, w.Code)
		}
	}
}
