package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/internal/pgtest"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/server"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/store/postgres"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

// The reader pages' secret and public URL in tests.
var (
	webSecret = []byte("hostile-test-secret-of-32-bytes!")
	webBase   = "http://paperpicks.test"
)

// env is a running server over a real store holding the sample catalog,
// with two users, and the routes its router has.
type env struct {
	ts       *httptest.Server
	routes   []gin.RouteInfo
	users    *users.Service
	maxBody  int64
	alice    string
	aliceTok string
	bob      string
	bobTok   string
	// Reader pages: two sessions of alice (the spare one may be signed
	// out) with their CSRF tokens, and a visitor's CSRF cookie and token.
	cookie, csrf           string
	spareCookie, spareCSRF string
	anonCookie, anonCSRF   string
}

// openStore opens an empty store of kind "sqlite" or "postgres" (skipped
// without a test server, see pgtest).
func openStore(t *testing.T, kind string) store.Store {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if kind == "postgres" {
		st, err = postgres.Open(ctx, pgtest.NewDatabase(t))
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newEnv serves the sample catalog from st with cfg (the body limit
// defaulted to 64 KiB).
func newEnv(t *testing.T, st store.Store, cfg server.Config) *env {
	t.Helper()
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := server.SampleDeps(t, st, 64, log)
	deps.Web = &server.Web{Secret: webSecret, BaseURL: webBase, Store: st}
	srv := server.New(cfg, deps, log)
	engine, ok := srv.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("Handler is a %T, not the *gin.Engine the route list comes from", srv.Handler())
	}
	e := &env{ts: httptest.NewServer(srv.Handler()), routes: engine.Routes(), users: deps.Users, maxBody: cfg.MaxBodyBytes}
	t.Cleanup(e.ts.Close)
	e.alice, e.aliceTok = e.newUser(t)
	e.bob, e.bobTok = e.newUser(t)
	e.cookie, e.csrf = e.session(t, e.alice)
	e.spareCookie, e.spareCSRF = e.session(t, e.alice)
	login := e.send(t, req{method: "GET", target: "/login"})
	e.anonCookie = strings.Split(login.header.Get("Set-Cookie"), ";")[0]
	if m := csrfField.FindSubmatch(login.raw); m != nil && strings.HasPrefix(e.anonCookie, "pp_csrf=") {
		e.anonCSRF = string(m[1])
	} else {
		t.Fatalf("sign-in page without CSRF cookie and field: %s", login)
	}
	return e
}

// session signs userID in to the reader pages through a sign-in link and
// returns the Cookie header of the session and the CSRF token its forms
// carry.
func (e *env) session(t *testing.T, userID string) (cookie, csrf string) {
	t.Helper()
	tok := links.NewSigner(webSecret, links.Purpose).Sign(links.Claims{Action: links.Login, UserID: userID, Expires: time.Now().Add(time.Hour)})
	r := e.send(t, req{method: "GET", target: "/login/" + tok})
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "pp_session" && c.Value != "" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if r.status != http.StatusSeeOther || cookie == "" {
		t.Fatalf("sign-in link: %s", r)
	}
	page := e.send(t, req{method: "GET", target: "/", header: []string{"Cookie", cookie}})
	m := csrfField.FindSubmatch(page.raw)
	if page.status != ok || m == nil {
		t.Fatalf("picks page has no CSRF field: %s", page)
	}
	return cookie, string(m[1])
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signed is an email link token for userID.
func signed(userID string, action links.Action, paperID string, ttl time.Duration) string {
	return links.NewSigner(webSecret, links.Purpose).Sign(links.Claims{Action: action, UserID: userID, PaperID: paperID, Expires: time.Now().Add(ttl)})
}

func (e *env) newUser(t *testing.T) (id, token string) {
	t.Helper()
	u, tok, err := e.users.Create(context.Background(), users.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID, tok
}

// req is one request, written byte for byte as given: the target is the
// raw request-target, so paths and queries reach the server unnormalized.
type req struct {
	method, target, token string
	header                []string // name, value pairs
	body                  []byte
	// declared, when above len(body), is the Content-Length sent; the body
	// is then cut short by closing the write side.
	declared int64
}

type resp struct {
	status      int
	code, field string
	contentType string
	header      http.Header
	raw         []byte
}

// json is the body as a JSON object (nil if it is none).
func (r resp) json() map[string]any {
	var m map[string]any
	json.Unmarshal(r.raw, &m)
	return m
}

func (r resp) String() string {
	s := string(r.raw)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return fmt.Sprintf("%d %s", r.status, s)
}

// send writes rq on a fresh connection and reads the response.
func (e *env) send(t *testing.T, rq req) resp {
	t.Helper()
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n", rq.method, rq.target)
	if rq.token != "" {
		fmt.Fprintf(&head, "Authorization: Bearer %s\r\n", rq.token)
	}
	framed := false // the case sets its own framing headers
	for i := 0; i+1 < len(rq.header); i += 2 {
		fmt.Fprintf(&head, "%s: %s\r\n", rq.header[i], rq.header[i+1])
		framed = framed || strings.EqualFold(rq.header[i], "Transfer-Encoding") || strings.EqualFold(rq.header[i], "Content-Length")
	}
	if !framed {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", max(rq.declared, int64(len(rq.body))))
	}
	head.WriteString("\r\n")
	// Write from another goroutine: the server may answer (413) before
	// reading the whole body.
	go func() {
		conn.Write(head.Bytes())
		conn.Write(rq.body)
		if rq.declared > int64(len(rq.body)) {
			conn.(*net.TCPConn).CloseWrite()
		}
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: rq.method})
	if err != nil {
		t.Fatalf("%s %.80s: %v", rq.method, rq.target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: raw, contentType: res.Header.Get("Content-Type"), header: res.Header}
	var body struct{ Error struct{ Code, Field string } }
	if json.Unmarshal(raw, &body) == nil {
		r.code, r.field = body.Error.Code, body.Error.Field
	}
	return r
}

// hcase is one hostile request and what must come back. code "http" marks
// requests net/http itself refuses before any handler runs (plain text),
// "html" answers of the reader pages (an HTML page, or a redirect to
// location).
type hcase struct {
	name     string
	rq       req
	status   int
	code     string
	location string
}

// Expected answers, for brevity in the tables.
const (
	ok       = 200
	created  = 201
	noBody   = 204
	bad      = 400
	unauth   = 401
	forbid   = 403
	notFound = 404
	method   = 405
	tooLarge = 413
	unproc   = 422
)

func want(status int) string {
	switch status {
	case bad:
		return "invalid"
	case unauth:
		return "unauthorized"
	case forbid:
		return "forbidden"
	case notFound:
		return "not_found"
	case method:
		return "method_not_allowed"
	case tooLarge:
		return "too_large"
	case unproc:
		return "unprocessable"
	}
	return ""
}

// c builds a case whose error code follows from its status.
func c(name string, status int, rq req) hcase {
	return hcase{name: name, rq: rq, status: status, code: want(status)}
}

// idOddities are path segments no id has: each must be a clean 404 (or
// 403 where the token cannot match such a user), never a 500.
var idOddities = []struct{ name, seg string }{
	// An escaped slash is a path separator to the router, which then
	// finds no route: a 404 before any token is looked at.
	{"dot-dot escaped", "..%2F..%2Fetc%2Fpasswd"},
	{"long id", strings.Repeat("a", 16<<10)},
	{"long unicode id", strings.Repeat("%F0%9F%98%80", 2000)},
	{"NUL", "%00"},
	{"NUL inside", "sample%00-acea468a"},
	{"dot-dot dots", "%2e%2e"},
	{"invalid UTF-8", "%ff%fe%80"},
	{"overlong UTF-8 slash", "%c0%af"},
	{"RTL override and zero-width", "%E2%80%AEabc%E2%80%8B"},
	{"CRLF", "x%0d%0aSet-Cookie:%20a=b"},
	{"control chars", "%01%02%1b%7f"},
	{"semicolon param", "x;jsessionid=1"},
	{"percent-encoded percent", "%2500"},
	{"SQL", "x'%20OR%20'1'='1"},
	{"unicode spaces", "%E3%80%80x%C2%A0"},
	{"combining marks", "e%CC%81%CC%81%CC%81%CC%81"},
}

// queryOddities go on any route; routes that read no query ignore them.
var queryOddities = []struct{ name, query string }{
	{"invalid UTF-8 key and value", "%ff=%fe"},
	{"NUL in query", "x=%00"},
	{"many params", strings.Repeat("a=1&", 2000) + "a=2"},
	{"long value", "z=" + strings.Repeat("y", 20000)},
	{"bare separators", "&&&==&"},
}

var bigNesting = strings.Repeat("[", 20000) + strings.Repeat("]", 20000)

// jsonBodies are malformed, truncated, wrongly typed and odd bodies for
// routes that decode one JSON object strictly. status gives the answer
// for (feedback, create user, update user).
var jsonBodies = []struct {
	name string
	body string
	st   [3]int
}{
	{"empty", "", [3]int{bad, created, bad}},
	{"whitespace", " \r\n\t ", [3]int{bad, created, bad}},
	{"open brace", "{", [3]int{bad, bad, bad}},
	{"truncated", `{"paper_id":"sample-acea468a","val`, [3]int{bad, bad, bad}},
	{"truncated string", `{"paper_id":"sam`, [3]int{bad, bad, bad}},
	{"nul literal typo", "nul", [3]int{bad, bad, bad}},
	{"null", "null", [3]int{bad, created, ok}},
	{"array", "[]", [3]int{bad, bad, bad}},
	{"string", `"up"`, [3]int{bad, bad, bad}},
	{"number", "42", [3]int{bad, bad, bad}},
	{"bool", "true", [3]int{bad, bad, bad}},
	{"trailing data", `{} {}`, [3]int{bad, bad, bad}},
	{"trailing garbage", `{}x`, [3]int{bad, bad, bad}},
	{"BOM", "\ufeff{}", [3]int{bad, bad, bad}},
	{"deep nesting", bigNesting, [3]int{bad, bad, bad}},
	{"nested object value", `{"paper_id":{"$gt":""},"value":"up"}`, [3]int{bad, bad, bad}},
	{"unknown field", `{"paper_id":"x","value":"up","admin":true}`, [3]int{bad, bad, bad}},
	{"invalid UTF-8 key", "{\"\xff\":1}", [3]int{bad, bad, bad}},
	{"single quotes", `{'paper_id':'x'}`, [3]int{bad, bad, bad}},
	{"comments", `{/* c */}`, [3]int{bad, bad, bad}},
	{"NaN", `{"picks_per_day":NaN}`, [3]int{bad, bad, bad}},
	{"form encoded", `paper_id=x&value=up`, [3]int{bad, bad, bad}},
	{"XML", `<feedback paper_id="x"/>`, [3]int{bad, bad, bad}},
}

// perRoute builds the cases for one route; every route of the router must
// have one (a new route fails the test until it is added here).
type perRoute func(e *env) []hcase

func hostileTable() map[string]perRoute {
	return map[string]perRoute{
		"GET /healthz":                     func(e *env) []hcase { return probeCases("/healthz", ok) },
		"GET /readyz":                      func(e *env) []hcase { return probeCases("/readyz", ok) },
		"GET /metrics":                     func(e *env) []hcase { return probeCases("/metrics", ok) },
		"POST /v1/papers":                  postPapersCases,
		"GET /v1/papers/*rest":             paperCases,
		"GET /v1/search":                   searchCases,
		"GET /v1/trending":                 trendingCases,
		"POST /v1/admin/rank":              adminRankCases,
		"POST /v1/users":                   func(e *env) []hcase { return userBodyCases(e, "POST", "/v1/users", admin, 1) },
		"GET /v1/users/:id":                func(e *env) []hcase { return userPathCases(e, "GET", "", ok) },
		"PATCH /v1/users/:id":              patchUserCases,
		"DELETE /v1/users/:id":             deleteUserCases,
		"POST /v1/users/:id/feedback":      feedbackCases,
		"GET /v1/users/:id/likes":          likesCases,
		`POST /v1/users/:id/likes\:import`: importCases,
		"GET /v1/users/:id/picks":          picksCases,
		"POST /v1/users/:id/feed-token":    func(e *env) []hcase { return userPathCases(e, "POST", "/feed-token", ok) },
		"GET /feeds/:token":                feedCases,
		"GET /static/app.css":              func(e *env) []hcase { return probeCases("/static/app.css", ok) },
		"GET /":                            picksPageCases,
		"GET /login":                       loginPageCases,
		"POST /login":                      postLoginCases,
		"GET /login/:token":                magicLinkCases,
		"POST /logout":                     logoutCases,
		"POST /feedback":                   webFeedbackCases,
		"GET /papers/*rest":                similarPageCases,
		"GET /search":                      searchPageCases,
		"POST /settings/digest":            func(e *env) []hcase { return settingsCases(e, "/settings/digest", http.StatusSeeOther) },
		"POST /settings/feed":              func(e *env) []hcase { return settingsCases(e, "/settings/feed", ok) },
		"GET /e/:token":                    func(e *env) []hcase { return emailLinkCases(e, "GET") },
		"POST /e/:token":                   func(e *env) []hcase { return emailLinkCases(e, "POST") },
	}
}

// probeCases: the health and metrics routes answer whatever comes along.
func probeCases(path string, status int) []hcase {
	var cs []hcase
	for _, q := range queryOddities {
		cs = append(cs, hcase{name: q.name, rq: req{method: "GET", target: path + "?" + q.query}, status: status})
	}
	cs = append(cs,
		hcase{name: "body on GET", rq: req{method: "GET", target: path, body: []byte(bigNesting)}, status: status},
		hcase{name: "junk token", rq: req{method: "GET", target: path, token: "\xff\xfe junk"}, status: status},
		c("NUL after path", notFound, req{method: "GET", target: path + "%00"}),
		c("path suffix", notFound, req{method: "GET", target: path + "/x"}),
		hcase{name: "trailing slash redirects", rq: req{method: "GET", target: path + "/"}, status: http.StatusMovedPermanently},
		c("POST", method, req{method: "POST", target: path, body: []byte("{}")}),
		c("DELETE", method, req{method: "DELETE", target: path}),
	)
	return cs
}

func paperCases(e *env) []hcase {
	var cs []hcase
	for _, o := range idOddities {
		cs = append(cs,
			c(o.name, notFound, req{method: "GET", target: "/v1/papers/" + o.seg}),
			c(o.name+" similar", notFound, req{method: "GET", target: "/v1/papers/" + o.seg + "/similar"}))
	}
	for _, q := range queryOddities {
		cs = append(cs, hcase{name: q.name, rq: req{method: "GET", target: "/v1/papers/sample-acea468a?" + q.query}, status: ok})
	}
	for _, k := range []string{"0", "-1", "abc", "1e3", "%00", "99999999999999999999", "1.5", "%ff", "+-1", "0x10", "%20", ""} {
		cs = append(cs, c("similar k="+k, bad, req{method: "GET", target: "/v1/papers/sample-acea468a/similar?k=" + k}))
	}
	cs = append(cs,
		c("no id", bad, req{method: "GET", target: "/v1/papers/"}),
		c("only similar", notFound, req{method: "GET", target: "/v1/papers//similar"}),
		c("dot-dot path", notFound, req{method: "GET", target: "/v1/papers/../../etc/passwd"}),
		c("double slashes", notFound, req{method: "GET", target: "/v1/papers//sample-acea468a"}),
		c("similar twice", notFound, req{method: "GET", target: "/v1/papers/sample-acea468a/similar/similar"}),
		hcase{name: "huge k is capped", rq: req{method: "GET", target: "/v1/papers/sample-acea468a/similar?k=2147483647"}, status: ok},
		hcase{name: "repeated k takes the first", rq: req{method: "GET", target: "/v1/papers/sample-acea468a/similar?k=2&k=x"}, status: ok},
		hcase{name: "escaped slash in arXiv id", rq: req{method: "GET", target: "/v1/papers/arXiv%3Ahep-th%2F9901001v1"}, status: notFound, code: "not_found"},
		c("POST", method, req{method: "POST", target: "/v1/papers/x", body: []byte("{}")}),
	)
	// net/http refuses these before routing.
	return append(cs,
		hcase{name: "invalid escape", rq: req{method: "GET", target: "/v1/papers/%zz"}, status: bad, code: "http"},
		hcase{name: "space in target", rq: req{method: "GET", target: "/v1/papers/a b"}, status: bad, code: "http"},
		hcase{name: "raw control char in target", rq: req{method: "GET", target: "/v1/papers/a\x01b"}, status: bad, code: "http"},
	)
}

func searchCases(e *env) []hcase {
	var cs []hcase
	for _, q := range []struct {
		name, q string
		status  int
	}{
		{"missing q", "", bad},
		{"blank q", "q=%20%09%0a", bad},
		{"invalid UTF-8 q", "q=%ff%fe", bad},
		{"q too long", "q=" + strings.Repeat("%C3%A9", catalog.MaxQuery+1), bad},
		{"q at the limit", "q=" + strings.Repeat("%C3%A9", catalog.MaxQuery), ok},
		{"NUL in q", "q=graph%00networks", ok},
		{"control chars in q", "q=%01%02%1b%7fgraph", ok},
		{"emoji q", "q=" + strings.Repeat("%F0%9F%98%80", 50), ok},
		{"RTL and zero-width q", "q=%E2%80%AEgraph%E2%80%8B%E2%80%8Dnets", ok},
		{"combining marks q", "q=" + strings.Repeat("e%CC%81", 300), ok},
		{"CJK q", "q=%E5%9B%BE%E7%A5%9E%E7%BB%8F%E7%BD%91%E7%BB%9C", ok},
		{"SQL q", "q=x'%20OR%201=1--", ok},
		{"semicolon separator drops the pair", "q=x;y", bad},
		{"huge k", "q=graph&k=2147483647", ok},
		{"k zero", "q=graph&k=0", bad},
		{"k negative", "q=graph&k=-5", bad},
		{"k word", "q=graph&k=ten", bad},
		{"k overflow", "q=graph&k=99999999999999999999", bad},
		{"k float", "q=graph&k=2.5", bad},
		{"k NUL", "q=graph&k=%00", bad},
		{"repeated q", "q=graph&q=%ff", ok},
		{"q array syntax", "q[]=graph", bad},
	} {
		cs = append(cs, c(q.name, q.status, req{method: "GET", target: "/v1/search?" + q.q}))
	}
	for _, q := range queryOddities {
		cs = append(cs, c(q.name, bad, req{method: "GET", target: "/v1/search?" + q.query}))
	}
	cs = append(cs,
		c("body on GET", ok, req{method: "GET", target: "/v1/search?q=graph", body: []byte("{")}),
		c("POST", method, req{method: "POST", target: "/v1/search?q=x"}),
	)
	return cs
}

func trendingCases(e *env) []hcase {
	var cs []hcase
	for _, q := range []struct {
		name, q string
		status  int
	}{
		{"defaults", "", ok},
		{"days at the limit", "days=365", ok},
		{"days over the limit", "days=366", bad},
		{"days huge", "days=2147483647", bad},
		{"days zero", "days=0", bad},
		{"days negative", "days=-1", bad},
		{"days word", "days=week", bad},
		{"days NUL", "days=%00", bad},
		{"days invalid UTF-8", "days=%ff", bad},
		{"k zero", "k=0", bad},
		{"k huge", "k=2147483647", ok},
		{"k overflow", "k=99999999999999999999", bad},
		{"k unicode digits", "k=%D9%A3", bad},
	} {
		cs = append(cs, c(q.name, q.status, req{method: "GET", target: "/v1/trending?" + q.q}))
	}
	for _, q := range queryOddities {
		cs = append(cs, c(q.name, ok, req{method: "GET", target: "/v1/trending?" + q.query}))
	}
	return append(cs, c("PUT", method, req{method: "PUT", target: "/v1/trending"}))
}

func adminRankCases(e *env) []hcase {
	var cs []hcase
	for _, d := range []string{"2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "%00", "2026-01-01%00", "%ff", "2026-01-01T00:00:00Z",
		"-2026-01-01", "+2026-01-01", strings.Repeat("9", 5000), "2026-01-01'%20OR%201=1", "%E2%80%AE2026-01-01"} {
		cs = append(cs, c("date="+truncated(d), bad, req{method: "POST", target: "/v1/admin/rank?date=" + d, token: admin}))
	}
	cs = append(cs,
		c("empty date", bad, req{method: "POST", target: "/v1/admin/rank?date=", token: admin}),
		c("junk body is ignored", ok, req{method: "POST", target: "/v1/admin/rank?date=2026-01-05", token: admin, body: []byte(bigNesting)}),
		c("far future date", ok, req{method: "POST", target: "/v1/admin/rank?date=9999-12-31", token: admin}),
		c("year zero", ok, req{method: "POST", target: "/v1/admin/rank?date=0000-01-01", token: admin}),
		c("GET", method, req{method: "GET", target: "/v1/admin/rank", token: admin}),
	)
	for _, q := range queryOddities {
		cs = append(cs, c(q.name, ok, req{method: "POST", target: "/v1/admin/rank?date=2026-01-06&" + q.query, token: admin}))
	}
	return cs
}

func truncated(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// bodyCases are the transport-level body oddities every body route gets:
// oversized, cut short, a lying Content-Length, broken chunking.
func bodyCases(e *env, m, target, token string, valid []byte) []hcase {
	over := bytes.Repeat([]byte(" "), int(e.maxBody)+1)
	copy(over, valid)
	return []hcase{
		c("oversized", tooLarge, req{method: m, target: target, token: token, body: over}),
		c("oversized JSON string", tooLarge, req{method: m, target: target, token: token,
			body: []byte(`{"paper_id":"` + strings.Repeat("é", int(e.maxBody)) + `"}`)}),
		c("cut short", bad, req{method: m, target: target, token: token, body: valid[:len(valid)/2], declared: int64(len(valid))}),
		c("Content-Length of 10 GB", bad, req{method: m, target: target, token: token, body: valid, declared: 10 << 30}),
		c("broken chunked encoding", bad, req{method: m, target: target, token: token,
			header: []string{"Transfer-Encoding", "chunked"}, body: []byte("5\r\n{\"a\":\r\nzz\r\n"), declared: 1 << 20}),
		{name: "negative Content-Length", rq: req{method: m, target: target, token: token, header: []string{"Content-Length", "-1"}}, status: bad, code: "http"},
		{name: "two Content-Lengths", rq: req{method: m, target: target, token: token, header: []string{"Content-Length", "1", "Content-Length", "2"}, body: []byte("{}")}, status: bad, code: "http"},
	}
}

// userBodyCases send jsonBodies and settings oddities to the create (col
// 1) or update (col 2) route.
func userBodyCases(e *env, m, target, token string, col int) []hcase {
	var cs []hcase
	for _, b := range jsonBodies {
		cs = append(cs, c(b.name, b.st[col], req{method: m, target: target, token: token, body: []byte(b.body)}))
	}
	okStatus := created
	if col == 2 {
		okStatus = ok
	}
	for _, b := range []struct {
		name, body string
		status     int
	}{
		{"email wrong type", `{"email":5}`, bad},
		{"email array", `{"email":["a@b.org"]}`, bad},
		{"email no domain", `{"email":"ada@"}`, bad},
		{"email with name", `{"email":"Ada <ada@example.org>"}`, bad},
		{"email CRLF injection", `{"email":"ada@example.org\r\nBcc: x@y.org"}`, bad},
		{"email NUL", `{"email":"ada\u0000@example.org"}`, bad},
		{"email too long", `{"email":"` + strings.Repeat("a", 300) + `@example.org"}`, bad},
		// encoding/json turns invalid UTF-8 into U+FFFD, a valid address character.
		{"email invalid UTF-8", fmt.Sprintf("{\"email\":\"\xff%d@example.org\"}", col), okStatus},
		{"time_zone path traversal", `{"time_zone":"../../../../etc/passwd"}`, bad},
		{"time_zone absolute path", `{"time_zone":"/etc/localtime"}`, bad},
		{"time_zone NUL", `{"time_zone":"UTC\u0000"}`, bad},
		{"time_zone Local", `{"time_zone":"Local"}`, bad},
		{"time_zone long", `{"time_zone":"` + strings.Repeat("Europe/", 2000) + `Berlin"}`, bad},
		{"time_zone number", `{"time_zone":1}`, bad},
		{"time_zone emoji", `{"time_zone":"😀/😀"}`, bad},
		{"picks_per_day zero", `{"picks_per_day":0}`, bad},
		{"picks_per_day negative", `{"picks_per_day":-3}`, bad},
		{"picks_per_day huge", `{"picks_per_day":9223372036854775807}`, bad},
		{"picks_per_day overflow", `{"picks_per_day":1e400}`, bad},
		{"picks_per_day float", `{"picks_per_day":2.5}`, bad},
		{"picks_per_day string", `{"picks_per_day":"5"}`, bad},
		{"digest string", `{"digest":"yes"}`, bad},
		{"digest number", `{"digest":1}`, bad},
		{"duplicate keys, last wins", `{"picks_per_day":5,"picks_per_day":500}`, bad},
		{"case-folded key", `{"PICKS_PER_DAY":5}`, okStatus},
		{"all null", `{"email":null,"time_zone":null,"picks_per_day":null,"digest":null}`, okStatus},
		{"unicode email", `{"email":"` + fmt.Sprintf("ü%d", col) + `@exämple.org"}`, okStatus},
		{"valid", `{"time_zone":"Asia/Kolkata","picks_per_day":3,"digest":false}`, okStatus},
	} {
		cs = append(cs, c(b.name, b.status, req{method: m, target: target, token: token, body: []byte(b.body)}))
	}
	return append(cs, bodyCases(e, m, target, token, []byte(`{"picks_per_day":3}`))...)
}

// userPathCases send id oddities (with the admin token: 404; with a
// user's token: 403) and query oddities to a user route.
func userPathCases(e *env, m, suffix string, okStatus int) []hcase {
	var cs []hcase
	for i, o := range idOddities {
		asUser := forbid
		if i == 0 { // the escaped slash: no such route
			asUser = notFound
		}
		cs = append(cs,
			c(o.name+" (admin)", notFound, req{method: m, target: "/v1/users/" + o.seg + suffix, token: admin}),
			c(o.name+" (user)", asUser, req{method: m, target: "/v1/users/" + o.seg + suffix, token: e.aliceTok}))
	}
	for _, q := range queryOddities {
		cs = append(cs, c(q.name, okStatus, req{method: m, target: "/v1/users/" + e.alice + suffix + "?" + q.query, token: e.aliceTok}))
	}
	for _, tok := range []struct{ name, tok string }{
		{"junk token", "\xff\xfe\x80"},
		{"long token", "pp_" + strings.Repeat("a", 8000)},
		{"token with NUL-like escape", "pp_%00"},
		{"SQL token", "pp_' OR '1'='1"},
	} {
		cs = append(cs, c(tok.name, unauth, req{method: m, target: "/v1/users/" + e.alice + suffix, token: tok.tok}))
	}
	cs = append(cs,
		c("id with trailing dot-dot", notFound, req{method: m, target: "/v1/users/" + e.alice + "/..", token: e.aliceTok}),
		c("unicode lookalike id", forbid, req{method: m, target: "/v1/users/" + strings.Replace(e.alice, "u", "%D5%BD", 1) + suffix, token: e.aliceTok}),
		c("case-changed id", forbid, req{method: m, target: "/v1/users/" + strings.ToUpper(e.alice) + suffix, token: e.aliceTok}),
		c("PUT", method, req{method: "PUT", target: "/v1/users/" + e.alice + suffix, token: e.aliceTok}),
	)
	return cs
}

func patchUserCases(e *env) []hcase {
	cs := userBodyCases(e, "PATCH", "/v1/users/"+e.alice, e.aliceTok, 2)
	for _, cc := range userPathCases(e, "PATCH", "", ok) {
		if cc.status == ok || cc.status == method {
			continue // needs a body; covered above
		}
		cc.rq.body = []byte(`{"digest":true}`)
		cs = append(cs, cc)
	}
	return cs
}

func deleteUserCases(e *env) []hcase {
	var cs []hcase
	for _, cc := range userPathCases(e, "DELETE", "", noBody) {
		if cc.status == noBody {
			continue // would delete alice; see below
		}
		cs = append(cs, cc)
	}
	return append(cs, c("junk body is ignored", noBody, req{method: "DELETE", target: "/v1/users/" + e.bob, token: e.bobTok, body: []byte(bigNesting)}))
}

func feedbackCases(e *env) []hcase {
	target := "/v1/users/" + e.alice + "/feedback"
	var cs []hcase
	for _, b := range jsonBodies {
		cs = append(cs, c(b.name, b.st[0], req{method: "POST", target: target, token: e.aliceTok, body: []byte(b.body)}))
	}
	fb := func(name, body string, status int) {
		cs = append(cs, c(name, status, req{method: "POST", target: target, token: e.aliceTok, body: []byte(body)}))
	}
	for _, v := range []struct{ name, paper string }{
		{"unknown paper", "2401.99999"},
		{"NUL paper id", `\u0000`},
		{"NUL inside paper id", `sample\u0000-acea468a`},
		{"invalid UTF-8 paper id", "\xff\xfe"},
		{"lone surrogate paper id", `\ud800`},
		{"long paper id", strings.Repeat("x", 20000)},
		{"emoji paper id", strings.Repeat("😀", 500)},
		{"RTL paper id", "\u202esample-acea468a"},
		{"path traversal paper id", "../../etc/passwd"},
		{"SQL paper id", "x' OR '1'='1"},
		{"arXiv URL to nowhere", "https://arxiv.org/abs/2401.99999v3"},
		{"control chars paper id", `\u0001\u001b[31m`},
	} {
		fb(v.name, `{"paper_id":"`+v.paper+`","value":"up"}`, notFound)
	}
	for _, v := range []struct{ name, body string }{
		{"paper_id number", `{"paper_id":5,"value":"up"}`},
		{"paper_id null", `{"paper_id":null,"value":"up"}`},
		{"paper_id array", `{"paper_id":["sample-acea468a"],"value":"up"}`},
		{"paper_id blank", `{"paper_id":"  ","value":"up"}`},
		{"value missing", `{"paper_id":"sample-acea468a"}`},
		{"value number", `{"paper_id":"sample-acea468a","value":1}`},
		{"value bool", `{"paper_id":"sample-acea468a","value":true}`},
		{"value upper case", `{"paper_id":"sample-acea468a","value":"UP"}`},
		{"value with NUL", `{"paper_id":"sample-acea468a","value":"up\u0000"}`},
		{"value unicode lookalike", `{"paper_id":"sample-acea468a","value":"ᥙp"}`},
		{"value padded", `{"paper_id":"sample-acea468a","value":" up"}`},
		{"duplicate value, last wins", `{"paper_id":"sample-acea468a","value":"up","value":"meh"}`},
	} {
		fb(v.name, v.body, bad)
	}
	fb("valid up", `{"paper_id":"sample-acea468a","value":"up"}`, ok)
	fb("valid none", `{"paper_id":"sample-acea468a","value":"none"}`, ok)
	fb("arXiv spelling of a sample id", `{"paper_id":" sample-acea468a ","value":"down"}`, ok)
	cs = append(cs, bodyCases(e, "POST", target, e.aliceTok, []byte(`{"paper_id":"sample-acea468a","value":"up"}`))...)
	for _, cc := range userPathCases(e, "POST", "/feedback", ok) {
		if cc.status == ok || cc.status == method {
			continue // query oddities need a body; covered above
		}
		cc.rq.body = []byte(`{"paper_id":"sample-acea468a","value":"up"}`)
		cs = append(cs, cc)
	}
	return cs
}

func likesCases(e *env) []hcase {
	cs := userPathCases(e, "GET", "/likes", ok)
	for _, v := range []struct {
		v      string
		status int
	}{{"up", ok}, {"down", ok}, {"none", bad}, {"UP", bad}, {"%00", bad}, {"%ff", bad}, {"", bad}, {strings.Repeat("up", 5000), bad}} {
		cs = append(cs, c("value="+truncated(v.v), v.status, req{method: "GET", target: "/v1/users/" + e.alice + "/likes?value=" + v.v, token: e.aliceTok}))
	}
	return cs
}

// rankedDate has a daily run before the hostile requests start.
const rankedDate = "2026-01-04"

func picksCases(e *env) []hcase {
	cs := userPathCases(e, "GET", "/picks?date="+rankedDate, ok)
	// userPathCases appended the query after ours; fix the query oddities up.
	for i := range cs {
		cs[i].rq.target = strings.Replace(cs[i].rq.target, "?date="+rankedDate+"?", "?date="+rankedDate+"&", 1)
	}
	for _, d := range []struct {
		d      string
		status int
	}{
		{"2026-02-30", bad}, {"%00", bad}, {"%ff", bad}, {"2026-01-01%00", bad}, {strings.Repeat("1", 5000), bad},
		{"tomorrow", bad}, {"2026-01-05T00:00:00Z", bad}, {"1999-12-31", notFound}, {"9999-12-31", notFound},
	} {
		cs = append(cs, c("date="+truncated(d.d), d.status, req{method: "GET", target: "/v1/users/" + e.alice + "/picks?date=" + d.d, token: e.aliceTok}))
	}
	return cs
}

func importCases(e *env) []hcase {
	target := "/v1/users/" + e.alice + "/likes:import"
	var cs []hcase
	imp := func(name, body string, status int) {
		cs = append(cs, c(name, status, req{method: "POST", target: target, token: e.aliceTok, body: []byte(body)}))
	}
	for _, b := range []struct {
		name, body string
		status     int
	}{
		{"empty", "", bad},
		{"blank lines and comments only", "\n\n# nothing\n  \n", bad},
		{"broken JSON array", `["2401.12345",`, bad},
		{"JSON array of numbers", `[1,2,3]`, bad},
		{"JSON array of objects", `[{"id":"x"}]`, bad},
		{"JSON array nested", bigNesting, bad},
		{"JSON object wrong type", `{"ids":"2401.12345"}`, bad},
		{"JSON object unknown field", `{"idz":["2401.12345"]}`, bad},
		{"JSON object truncated", `{"ids":["2401.1`, bad},
		{"JSON object trailing data", `{"ids":[]} {"ids":[]}`, bad},
		{"JSON empty array", `[]`, bad},
		{"too many references", strings.Repeat("2401.12345\n", 2) + strings.Repeat("x\n", 5001), bad},
		{"BibTeX without arXiv fields", "@article{x, title={T}, journal={J}}", bad},
		{"BibTeX truncated", "@article{x, eprint={2401.", bad},
		{"invalid UTF-8 lines", "\xff\xfe\n\x80abc\nsample\xc0\xaf\n", ok},
		{"NUL lines", "\x00\nsample-acea468a\x00\n", ok},
		{"JSON with NUL and control ids", `["\u0000","\u0001x","sample\u0000-acea468a"]`, ok},
		{"JSON with lone surrogate", `["\ud800"]`, ok},
		{"path traversal lines", "../../etc/passwd\n..\\..\\windows\\win.ini\n", ok},
		{"long line", strings.Repeat("a", 60000), ok},
		{"emoji lines", strings.Repeat("😀\n", 500), ok},
		{"RTL and zero-width", "\u202esample-acea468a\n\u200bsample-94b93732\n", ok},
		{"CRLF line ends", "sample-acea468a\r\nsample-94b93732\r\n", ok},
		{"SQL line", "x' OR '1'='1\n", ok},
		{"BibTeX with odd eprints", "@misc{a, eprint={\u0000}}\n@misc{b, eprint={../../x}}\n@misc{c, url={https://arxiv.org/abs/" + strings.Repeat("9", 3000) + "}}", ok},
		{"valid ids", "sample-acea468a\nhttps://arxiv.org/abs/2401.99999v2\n", ok},
		{"valid JSON object", `{"ids":["sample-94b93732"]}`, ok},
	} {
		imp(b.name, b.body, b.status)
	}
	cs = append(cs, bodyCases(e, "POST", target, e.aliceTok, []byte("sample-acea468a\nsample-94b93732\n"))...)
	for _, cc := range userPathCases(e, "POST", "/likes:import", ok) {
		if cc.status == ok || cc.status == method {
			continue
		}
		cc.rq.body = []byte("sample-acea468a\n")
		cs = append(cs, cc)
	}
	return cs
}

func postPapersCases(e *env) []hcase {
	const target = "/v1/papers"
	var cs []hcase
	post := func(name, body string, status int) {
		cs = append(cs, c(name, status, req{method: "POST", target: target, token: admin, body: []byte(body)}))
	}
	paper := func(id, title, abstract string) string {
		return `{"id":"` + id + `","title":"` + title + `","abstract":"` + abstract + `"}`
	}
	for _, b := range []struct {
		name, body string
		status     int
	}{
		{"empty", "", unproc},
		{"whitespace", " \n\t\r\n", unproc},
		{"open bracket", "[", bad},
		{"truncated array", `[{"id":"2401.00001","title":"T","abst`, bad},
		{"array with trailing comma", `[` + paper("2401.00001", "T", "A") + `,]`, bad},
		{"array then garbage", `[]x`, bad},
		{"deep nesting array", bigNesting, bad},
		{"empty array", `[]`, unproc},
		{"array of numbers", `[1,2,3]`, unproc},
		{"array of strings", `["2401.00001"]`, unproc},
		{"array of nulls", `[null,null]`, unproc},
		{"array of arrays", `[[],[[]]]`, unproc},
		{"JSONL garbage lines", "{\n}}\nnull\n42\n\"x\"\n", unproc},
		{"JSONL truncated", `{"id":"2401.00001","title":"T","abs`, unproc},
		{"object, not array", `{"papers":[]}`, unproc},
		{"wrong types", `[{"id":5,"title":["T"],"abstract":{"a":1}}]`, unproc},
		{"authors not a list", `[{"id":"2401.00001","title":"T","abstract":"A","authors":"Ada"}]`, unproc},
		{"published garbage", `[{"id":"2401.00001","title":"T","abstract":"A","published":"yesterday"}]`, unproc},
		{"upvotes negative", `[{"id":"2401.00001","title":"T","abstract":"A","upvotes":-1}]`, unproc},
		{"upvotes overflow", `[{"id":"2401.00001","title":"T","abstract":"A","upvotes":1e400}]`, unproc},
		{"NUL in title", `[` + paper("2401.00001", `T\u0000`, "A") + `]`, unproc},
		{"NUL in id", `[` + paper(`x\u0000y`, "T", "A") + `]`, unproc},
		{"control chars in abstract", `[` + paper("2401.00001", "T", `\u001b[31mred`) + `]`, unproc},
		{"invalid UTF-8 in title", "[" + paper("2401.00001", "T\xff\xfe", "A") + "]", unproc},
		{"lone surrogate in title", `[` + paper("2401.00001", `\ud800`, "A") + `]`, ok},
		{"id too long", `[` + paper(strings.Repeat("x", 5000), "T", "A") + `]`, unproc},
		{"id path traversal", `[` + paper("../../etc/passwd", "T", "A") + `]`, unproc},
		{"id with spaces", `[` + paper("a b", "T", "A") + `]`, unproc},
		{"title too long", `[` + paper("2401.00001", strings.Repeat("T", 2000), "A") + `]`, unproc},
		{"javascript URL", `[{"id":"2401.00001","title":"T","abstract":"A","url":"javascript:alert(1)"}]`, unproc},
		{"no title", `[{"id":"2401.00001","abstract":"A"}]`, unproc},
		{"unicode-heavy paper", `[` + paper("unicode-1", strings.Repeat("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ", 50), strings.Repeat("é̃ 中文 עברית \u202e ", 200)) + `]`, ok},
		{"emoji-only paper", `[` + paper("emoji-1", "😀😀", strings.Repeat("🔥", 300)) + `]`, ok},
		{"zero-width paper", `[` + paper("zw-1", "\u200b\u200d", "\u200b\ufeff") + `]`, ok},
		{"BOM then array", "\ufeff[" + paper("bom-1", "T", "A") + "]", ok},
		{"HTML in text", `[` + paper("html-1", `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`) + `]`, ok},
		{"one good among bad", "[1," + paper("good-1", "Graph nets", "Message passing on graphs") + ",{}]", ok},
	} {
		post(b.name, b.body, b.status)
	}
	cs = append(cs, bodyCases(e, "POST", target, admin, []byte("["+paper("2401.00001", "T", "A")+"]"))...)
	for _, q := range queryOddities {
		cs = append(cs, c(q.name, ok, req{method: "POST", target: target + "?" + q.query, token: admin, body: []byte("[" + paper("q-1", "T", "A") + "]")}))
	}
	// GET /v1/papers/ exists (a paper by id), so GET /v1/papers redirects there.
	return append(cs, hcase{name: "GET", rq: req{method: "GET", target: target, token: admin}, status: http.StatusMovedPermanently})
}

// TestHostileInputs sends malformed, truncated, oversized, wrongly typed
// and unicode-heavy inputs and path oddities to every route the router
// has, on SQLite and on PostgreSQL, and checks each answer's status and
// error code. Nothing may answer 5xx.
func TestHostileInputs(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, openStore(t, kind), server.Config{AdminToken: admin})
			if r := e.send(t, req{method: "POST", target: "/v1/admin/rank?date=" + rankedDate, token: admin}); r.status != ok {
				t.Fatalf("daily run: %s", r)
			}
			table := hostileTable()
			counts := map[string]int{}
			for _, r := range e.routes {
				key := r.Method + " " + r.Path
				gen, ok := table[key]
				if !ok {
					t.Errorf("route %s has no hostile inputs: add it to hostileTable", key)
					continue
				}
				for _, hc := range gen(e) {
					counts[key]++
					res := e.send(t, hc.rq)
					where := fmt.Sprintf("%s %s (%s %.60q)", key, hc.name, hc.rq.method, hc.rq.target)
					if res.status >= 500 {
						t.Errorf("%s: server error %s", where, res)
						continue
					}
					if hc.location != "" && res.header.Get("Location") != hc.location {
						t.Errorf("%s: redirected to %q, want %q", where, res.header.Get("Location"), hc.location)
					}
					if hc.code == "http" {
						if res.status != hc.status {
							t.Errorf("%s: got %s, want %d from net/http", where, res, hc.status)
						}
						continue
					}
					if hc.code == "html" {
						if res.status != hc.status {
							t.Errorf("%s: got %s, want %d", where, res, hc.status)
						}
						if res.status != http.StatusSeeOther && !strings.HasPrefix(res.contentType, "text/html") {
							t.Errorf("%s: page with Content-Type %q", where, res.contentType)
						}
						continue
					}
					if res.status != hc.status || res.code != hc.code {
						t.Errorf("%s: got %s, want %d %q", where, res, hc.status, hc.code)
					}
					if res.status >= 400 && !strings.HasPrefix(res.contentType, "application/json") {
						t.Errorf("%s: error with Content-Type %q", where, res.contentType)
					}
				}
			}
			keys := make([]string, 0, len(counts))
			total := 0
			for k, n := range counts {
				keys = append(keys, k)
				total += n
			}
			sort.Strings(keys)
			for _, k := range keys {
				t.Logf("%-34s %4d hostile inputs", k, counts[k])
			}
			t.Logf("%d routes, %d hostile inputs", len(keys), total)
		})
	}
}
