package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/server"
)

// Who may call a bearer-token route.
const (
	public = "public" // anyone
	user   = "user"   // the user the path names, or the admin
	admin_ = "admin"  // the admin token only
)

// authRoute is a request that succeeds on a route when authorized.
type authRoute struct {
	class  string
	target string // "{id}" stands for the user the path names
	body   string
	status int // the answer when authorized
	// fresh: each request needs a user of its own (it deletes them).
	fresh bool
}

func authTable() map[string]authRoute {
	paper := `[{"id":"auth-1","title":"Graph networks","abstract":"Message passing on graphs."}]`
	return map[string]authRoute{
		"GET /healthz":                     {class: public, target: "/healthz", status: ok},
		"GET /readyz":                      {class: public, target: "/readyz", status: ok},
		"GET /metrics":                     {class: public, target: "/metrics", status: ok},
		"GET /v1/papers/*rest":             {class: public, target: "/v1/papers/sample-acea468a/similar?k=2", status: ok},
		"GET /v1/search":                   {class: public, target: "/v1/search?q=graph", status: ok},
		"GET /v1/trending":                 {class: public, target: "/v1/trending", status: ok},
		"POST /v1/papers":                  {class: admin_, target: "/v1/papers", body: paper, status: ok},
		"POST /v1/admin/rank":              {class: admin_, target: "/v1/admin/rank?date=" + rankedDate, status: ok},
		"POST /v1/users":                   {class: admin_, target: "/v1/users", body: `{}`, status: created},
		"GET /v1/users/:id":                {class: user, target: "/v1/users/{id}", status: ok},
		"PATCH /v1/users/:id":              {class: user, target: "/v1/users/{id}", body: `{"digest":true}`, status: ok},
		"DELETE /v1/users/:id":             {class: user, target: "/v1/users/{id}", status: noBody, fresh: true},
		"GET /v1/users/:id/likes":          {class: user, target: "/v1/users/{id}/likes", status: ok},
		"GET /v1/users/:id/picks":          {class: user, target: "/v1/users/{id}/picks?date=" + rankedDate, status: ok},
		"POST /v1/users/:id/feed-token":    {class: user, target: "/v1/users/{id}/feed-token", status: ok},
		`POST /v1/users/:id/likes\:import`: {class: user, target: "/v1/users/{id}/likes:import", body: "sample-94b93732\n", status: ok},
		"POST /v1/users/:id/feedback":      {class: user, target: "/v1/users/{id}/feedback", body: `{"paper_id":"sample-acea468a","value":"up"}`, status: ok},
		"GET /static/app.css":              {class: public, target: "/static/app.css", status: ok},
		"GET /login":                       {class: public, target: "/login", status: ok},
		"GET /search":                      {class: public, target: "/search?q=graph", status: ok},
		"GET /papers/*rest":                {class: public, target: "/papers/sample-acea468a/similar", status: ok},
	}
}

// pageAuth is a route of the reader pages or a capability link, whose
// credential is not a bearer token: a session cookie (with the CSRF token
// of its forms), a visitor's CSRF cookie, or a signed token in the URL.
type pageAuth struct {
	// bare is the request without the credential; any bearer token added
	// to it must be refused with refused (and refusedAt, for a redirect).
	bare      func(e *env) req
	refused   int
	refusedAt string
	// with is the request with the credential; it answers status.
	with   func(t *testing.T, e *env) req
	status int
}

func pageAuthTable() map[string]pageAuth {
	session := func(target, body string) func(t *testing.T, e *env) req {
		return func(t *testing.T, e *env) req {
			cookie, csrf := e.session(t, e.alice)
			return postForm(target, cookie, "csrf="+url.QueryEscape(csrf)+body)
		}
	}
	toLogin := func(next string) string { return "/login?next=" + url.QueryEscape(next) }
	link := func(a links.Action, paper string) func(t *testing.T, e *env) req {
		return func(t *testing.T, e *env) req {
			return req{method: "GET", target: "/e/" + signed(e.alice, a, paper, time.Hour)}
		}
	}
	return map[string]pageAuth{
		"GET /": {bare: func(e *env) req { return req{method: "GET", target: "/"} }, refused: http.StatusSeeOther, refusedAt: toLogin("/"),
			with: func(t *testing.T, e *env) req { return cookieReq("GET", "/", e.cookie) }, status: ok},
		"POST /login": {bare: func(e *env) req { return postForm("/login", "", "email=ada%40example.org") }, refused: forbid,
			with: func(t *testing.T, e *env) req {
				return postForm("/login", e.anonCookie, "csrf="+url.QueryEscape(e.anonCSRF)+"&email=ada%40example.org")
			}, status: ok},
		"POST /logout": {bare: func(e *env) req { return postForm("/logout", "", "") }, refused: forbid,
			with: session("/logout", ""), status: http.StatusSeeOther},
		"POST /feedback": {bare: func(e *env) req { return postForm("/feedback", "", "paper_id=sample-acea468a&value=up") },
			refused: http.StatusSeeOther, refusedAt: toLogin("/feedback"),
			with: session("/feedback", "&paper_id=sample-acea468a&value=up"), status: http.StatusSeeOther},
		"POST /settings/digest": {bare: func(e *env) req { return postForm("/settings/digest", "", "digest=on") },
			refused: http.StatusSeeOther, refusedAt: toLogin("/settings/digest"),
			with: session("/settings/digest", "&digest=on"), status: http.StatusSeeOther},
		"POST /settings/feed": {bare: func(e *env) req { return postForm("/settings/feed", "", "") },
			refused: http.StatusSeeOther, refusedAt: toLogin("/settings/feed"),
			with: session("/settings/feed", ""), status: ok},
		"GET /login/:token": {bare: func(e *env) req { return req{method: "GET", target: "/login/forged"} }, refused: bad,
			with: func(t *testing.T, e *env) req {
				return req{method: "GET", target: "/login/" + signed(e.alice, links.Login, "", time.Hour)}
			}, status: http.StatusSeeOther},
		"GET /e/:token": {bare: func(e *env) req { return req{method: "GET", target: "/e/forged"} }, refused: bad,
			with: link(links.Up, "sample-acea468a"), status: ok},
		"POST /e/:token": {bare: func(e *env) req { return req{method: "POST", target: "/e/forged"} }, refused: bad,
			with: func(t *testing.T, e *env) req {
				r := link(links.Down, "sample-acea468a")(t, e)
				r.method = "POST"
				return r
			}, status: ok},
		"GET /feeds/:token": {bare: func(e *env) req { return req{method: "GET", target: "/feeds/pf_forged"} }, refused: notFound,
			with: func(t *testing.T, e *env) req {
				r := e.send(t, req{method: "POST", target: "/v1/users/" + e.alice + "/feed-token", token: e.aliceTok})
				u, _ := r.json()["url"].(string)
				if !strings.HasPrefix(u, webBase+"/feeds/") {
					t.Fatalf("feed token: %s", r)
				}
				return req{method: "GET", target: strings.TrimPrefix(u, webBase)}
			}, status: ok},
	}
}

// bearers are Authorization headers a client may send; "{own}" is the
// token of the user the path names. The status each must get depends on
// the route's class.
func bearers(e *env) []struct{ name, header string } {
	return []struct{ name, header string }{
		{"no token", ""},
		{"Basic auth", "Basic YWRtaW46YWRtaW4="},
		{"Bearer without token", "Bearer "},
		{"token without scheme", admin},
		{"admin token in another scheme", "Token " + admin},
		{"made-up user token", "Bearer pp_" + strings.Repeat("a", 52)},
		{"another user's token", "Bearer " + e.bobTok},
		{"admin token", "Bearer " + admin},
		{"admin token, lower-case scheme", "bearer " + admin},
		{"admin token with a suffix", "Bearer " + admin + "x"},
		{"own token", "Bearer {own}"},
	}
}

// bearerStatus is what a route of class answers to an Authorization
// header: public routes ignore tokens; user routes want the user's own
// token or the admin's (no or an unknown token: 401; another user's:
// 403); admin routes want the admin token (none: 401; any other: 403).
func bearerStatus(class, name, header string, okStatus int) int {
	tok := ""
	if len(header) > 7 && strings.EqualFold(header[:7], "bearer ") {
		tok = strings.TrimSpace(header[7:])
	}
	switch {
	case class == public || tok == admin || class == user && name == "own token":
		return okStatus
	case tok == "":
		return unauth
	case class == user && name == "another user's token":
		return forbid
	case class == user:
		return unauth
	}
	return forbid // an admin route, some other token
}

// TestAuthEveryRoute checks every route of the router with no token,
// malformed Authorization headers, a made-up token, another user's
// token, the admin token and the user's own token, against what its
// class allows (bearerStatus). Routes whose credential is a session
// cookie or a signed URL must refuse every bearer token, the admin's too,
// and admit their own credential.
func TestAuthEveryRoute(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, openStore(t, kind), server.Config{AdminToken: admin})
			if r := e.send(t, req{method: "POST", target: "/v1/admin/rank?date=" + rankedDate, token: admin}); r.status != ok {
				t.Fatalf("daily run: %s", r)
			}
			table, pages := authTable(), pageAuthTable()
			checks := 0
			for _, r := range e.routes {
				key := r.Method + " " + r.Path
				if spec, found := pages[key]; found {
					checks += checkPageAuth(t, e, key, spec)
					continue
				}
				spec, found := table[key]
				if !found {
					t.Errorf("route %s is in neither authTable nor pageAuthTable: say who may call it", key)
					continue
				}
				for _, b := range bearers(e) {
					owner, ownTok := e.alice, e.aliceTok
					if spec.fresh {
						owner, ownTok = e.newUser(t)
					}
					rq := req{method: r.Method, target: strings.ReplaceAll(spec.target, "{id}", owner), body: []byte(spec.body)}
					if h := strings.ReplaceAll(b.header, "{own}", ownTok); h != "" {
						rq.header = []string{"Authorization", h}
					}
					res := e.send(t, rq)
					checks++
					want := bearerStatus(spec.class, b.name, b.header, spec.status)
					if res.status != want || res.status >= 400 && res.code != paperpicksCode(res.status) {
						t.Errorf("%s (%s) with %s: got %s, want %d", key, spec.class, b.name, res, want)
					}
				}
			}
			t.Logf("%d routes, %d authorization checks", len(e.routes), checks)
		})
	}
}

// paperpicksCode is the JSON error code of a status.
func paperpicksCode(status int) string { return want(status) }

func checkPageAuth(t *testing.T, e *env, key string, spec pageAuth) int {
	t.Helper()
	n := 0
	for _, b := range bearers(e) {
		rq := spec.bare(e)
		if h := strings.ReplaceAll(b.header, "{own}", e.aliceTok); h != "" {
			rq.header = append(rq.header, "Authorization", h)
		}
		res := e.send(t, rq)
		n++
		if res.status != spec.refused || spec.refusedAt != "" && res.header.Get("Location") != spec.refusedAt {
			t.Errorf("%s without its credential, with %s: got %s (Location %q), want %d %s", key, b.name, res, res.header.Get("Location"), spec.refused, spec.refusedAt)
		}
	}
	for _, extra := range []string{"", "Bearer " + e.bobTok} {
		rq := spec.with(t, e)
		if extra != "" { // a bearer token changes nothing about who acts
			rq.header = append(rq.header, "Authorization", extra)
		}
		res := e.send(t, rq)
		n++
		if res.status != spec.status || spec.refusedAt != "" && res.header.Get("Location") == spec.refusedAt {
			t.Errorf("%s with its credential (and %q): got %s (Location %q), want %d", key, extra, res, res.header.Get("Location"), spec.status)
		}
	}
	return n
}

// TestAuthSwitches covers the two settings that move routes between
// classes: open signup makes POST /v1/users public, and without an admin
// token the admin routes refuse everyone (403), even an empty token.
func TestAuthSwitches(t *testing.T) {
	open := newEnv(t, openStore(t, "sqlite"), server.Config{AdminToken: admin, OpenSignup: true})
	for _, tok := range []string{"", "pp_unknown", open.bobTok, admin} {
		if r := open.send(t, req{method: "POST", target: "/v1/users", token: tok, body: []byte(`{}`)}); r.status != created {
			t.Errorf("open signup with token %q: %s", tok, r)
		}
	}

	noAdmin := newEnv(t, openStore(t, "sqlite"), server.Config{})
	for _, target := range []string{"/v1/papers", "/v1/admin/rank", "/v1/users"} {
		for _, hdr := range []string{"", "Bearer ", "Bearer x", "Bearer " + admin, "Bearer " + noAdmin.aliceTok} {
			rq := req{method: "POST", target: target, body: []byte(`{}`)}
			if hdr != "" {
				rq.header = []string{"Authorization", hdr}
			}
			if r := noAdmin.send(t, rq); r.status != forbid || r.code != "forbidden" {
				t.Errorf("POST %s with %q and admin routes disabled: %s, want 403", target, hdr, r)
			}
		}
	}
	// An empty token never passes for the (empty) admin token.
	for _, hdr := range []string{"Bearer ", "Bearer  ", ""} {
		rq := req{method: "GET", target: "/v1/users/" + noAdmin.alice}
		if hdr != "" {
			rq.header = []string{"Authorization", hdr}
		}
		if r := noAdmin.send(t, rq); r.status != unauth {
			t.Errorf("user route with %q and no admin token: %s, want 401", hdr, r)
		}
	}
	if r := noAdmin.send(t, req{method: "GET", target: "/v1/users/" + noAdmin.alice, token: noAdmin.aliceTok}); r.status != ok {
		t.Errorf("own token without admin token: %s", r)
	}
}
