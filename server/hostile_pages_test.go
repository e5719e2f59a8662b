package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks/links"
)

// Hostile inputs for the reader pages, the email links and the feeds:
// their answers are HTML pages (or redirects), so cases use htmlCase() and
// redirectCase(), and the session cookie instead of a bearer token.

// htmlCase builds a case answered by an HTML page with status.
func htmlCase(name string, status int, rq req) hcase {
	return hcase{name: name, rq: rq, status: status, code: "html"}
}

// redirectCase builds a case answered 303 See Other to location.
func redirectCase(name, location string, rq req) hcase {
	return hcase{name: name, rq: rq, status: http.StatusSeeOther, code: "html", location: location}
}

// postForm is a POST of an urlencoded form with a Cookie header ("" for none).
func postForm(target, cookie, body string) req {
	h := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if cookie != "" {
		h = append(h, "Cookie", cookie)
	}
	return req{method: "POST", target: target, header: h, body: []byte(body)}
}

func cookieReq(method, target, cookie string) req {
	return req{method: method, target: target, header: []string{"Cookie", cookie}}
}

// cookieOddities are session cookies that are not a live session: each
// must leave the visitor signed out.
var cookieOddities = []struct{ name, cookie string }{
	{"unknown session", "pp_session=ps_unknown"},
	{"empty session", "pp_session="},
	{"long session", "pp_session=" + strings.Repeat("a", 6000)},
	{"session of odd bytes", "pp_session=%00%ff"},
	{"malformed cookie header", "pp_session"},
	{"many cookies", strings.Repeat("x=1; ", 300) + "pp_session=ps_x"},
}

func picksPageCases(e *env) []hcase {
	login := "/login?next=" + url.QueryEscape("/")
	cs := []hcase{
		redirectCase("signed out", login, req{method: "GET", target: "/"}),
		redirectCase("admin bearer token is no session", login, req{method: "GET", target: "/", token: admin}),
		redirectCase("user bearer token is no session", login, req{method: "GET", target: "/", token: e.aliceTok}),
	}
	for _, o := range cookieOddities {
		cs = append(cs, redirectCase(o.name, login, cookieReq("GET", "/", o.cookie)))
	}
	for _, d := range []struct {
		d      string
		status int
	}{
		{"2026-02-30", bad}, {"%00", bad}, {"%ff", bad}, {strings.Repeat("9", 5000), bad}, {"2026-01-01%0d%0aX:y", bad},
		{"1999-12-31", ok}, {"9999-12-31", ok}, {rankedDate, ok},
	} {
		cs = append(cs, htmlCase("date="+truncated(d.d), d.status, cookieReq("GET", "/?date="+d.d, e.cookie)))
	}
	for _, q := range queryOddities {
		cs = append(cs, htmlCase(q.name, ok, cookieReq("GET", "/?"+q.query, e.cookie)))
	}
	return append(cs, c("PUT", method, req{method: "PUT", target: "/"}))
}

func loginPageCases(e *env) []hcase {
	var cs []hcase
	for _, q := range queryOddities {
		cs = append(cs, htmlCase(q.name, ok, req{method: "GET", target: "/login?" + q.query}))
	}
	// Signed in, the page sends the reader on, but never off the site.
	for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "%0d%0aLocation:%20http://evil.example",
		"javascript:alert(1)", "%2F%2Fevil.example", "/%0d%0aSet-Cookie:x=1"} {
		cs = append(cs, redirectCase("next="+truncated(next), "/", cookieReq("GET", "/login?next="+next, e.cookie)))
	}
	return append(cs,
		redirectCase("next on the site", "/search?q=x", cookieReq("GET", "/login?next="+url.QueryEscape("/search?q=x"), e.cookie)),
		htmlCase("next junk, signed out", ok, req{method: "GET", target: "/login?next=%ff%00"}),
	)
}

func postLoginCases(e *env) []hcase {
	var cs []hcase
	// Without the visitor's CSRF cookie and field nothing is looked at.
	for _, b := range []struct{ name, body string }{
		{"no CSRF", "email=ada%40example.org"},
		{"wrong CSRF", "csrf=forged&email=ada%40example.org"},
		{"deep nesting", bigNesting},
		{"invalid UTF-8", "csrf=\xff\xfe&email=\xff"},
		{"JSON", `{"email":"ada@example.org"}`},
		{"oversized", strings.Repeat("email=x&", 10000)},
	} {
		cs = append(cs, htmlCase(b.name, forbid, postForm("/login", e.anonCookie, b.body)))
	}
	cs = append(cs, htmlCase("CSRF field without its cookie", forbid, postForm("/login", "", "csrf="+e.anonCSRF+"&email=ada%40example.org")))
	post := func(name string, status int, email string) {
		cs = append(cs, htmlCase(name, status, postForm("/login", e.anonCookie, "csrf="+url.QueryEscape(e.anonCSRF)+"&email="+email)))
	}
	post("no email", bad, "")
	post("not an address", bad, "ada")
	post("NUL in the address", bad, "a%00da%40example.org")
	post("invalid UTF-8 address", bad, "%ff%40example.org")
	post("CRLF in the address", bad, "ada%40example.org%0d%0aBcc:%20x%40y.org")
	post("address too long", bad, strings.Repeat("a", 300)+"%40example.org")
	post("two addresses", bad, "a%40b.org,c%40d.org")
	// An unknown address gets the same answer as a known one.
	post("unknown address", ok, "nobody%40example.org")
	post("unicode address", ok, "%C3%BC%40ex%C3%A4mple.org")
	return cs
}

func magicLinkCases(e *env) []hcase {
	var cs []hcase
	for i, o := range idOddities {
		if i == 0 { // the escaped slash: no such route
			cs = append(cs, c(o.name, notFound, req{method: "GET", target: "/login/" + o.seg}))
			continue
		}
		cs = append(cs, htmlCase(o.name, bad, req{method: "GET", target: "/login/" + o.seg}))
	}
	valid := signed(e.alice, links.Login, "", time.Hour)
	tampered := []byte(valid)
	tampered[len(tampered)/2] ^= 1
	cs = append(cs,
		htmlCase("tampered", bad, req{method: "GET", target: "/login/" + string(tampered)}),
		htmlCase("truncated", bad, req{method: "GET", target: "/login/" + valid[:len(valid)-5]}),
		htmlCase("doubled", bad, req{method: "GET", target: "/login/" + valid + valid}),
		htmlCase("expired", http.StatusGone, req{method: "GET", target: "/login/" + signed(e.alice, links.Login, "", -time.Minute)}),
		htmlCase("a vote link", bad, req{method: "GET", target: "/login/" + signed(e.alice, links.Up, "sample-acea468a", time.Hour)}),
		htmlCase("of a user who is gone", notFound, req{method: "GET", target: "/login/" + signed("u_gone", links.Login, "", time.Hour)}),
		htmlCase("signed with another secret", bad, req{method: "GET", target: "/login/" +
			links.NewSigner([]byte("another-secret-of-32-bytes-long!"), links.Purpose).Sign(links.Claims{Action: links.Login, UserID: e.alice, Expires: time.Now().Add(time.Hour)})}),
		redirectCase("next off the site", "/", req{method: "GET", target: "/login/" + valid + "?next=//evil.example"}),
		redirectCase("next with CRLF", "/", req{method: "GET", target: "/login/" + valid + "?next=/%0d%0aSet-Cookie:x=1"}),
		redirectCase("next on the site", "/search?q=graph", req{method: "GET", target: "/login/" + valid + "?next=" + url.QueryEscape("/search?q=graph")}),
	)
	return cs
}

func logoutCases(e *env) []hcase {
	return []hcase{
		htmlCase("signed out, no CSRF", forbid, postForm("/logout", "", "")),
		htmlCase("no CSRF", forbid, postForm("/logout", e.cookie, "")),
		htmlCase("forged CSRF", forbid, postForm("/logout", e.cookie, "csrf=forged")),
		htmlCase("another session's CSRF", forbid, postForm("/logout", e.cookie, "csrf="+url.QueryEscape(e.spareCSRF))),
		htmlCase("CSRF in the query", forbid, req{method: "POST", target: "/logout?csrf=" + url.QueryEscape(e.csrf), header: []string{"Cookie", e.cookie}}),
		htmlCase("junk body", forbid, postForm("/logout", e.cookie, bigNesting)),
		htmlCase("admin bearer token", forbid, req{method: "POST", target: "/logout", token: admin}),
		redirectCase("signs out", "/login", postForm("/logout", e.spareCookie, "csrf="+url.QueryEscape(e.spareCSRF))),
	}
}

func webFeedbackCases(e *env) []hcase {
	login := "/login?next=" + url.QueryEscape("/feedback")
	csrf := "csrf=" + url.QueryEscape(e.csrf)
	cs := []hcase{
		redirectCase("signed out", login, postForm("/feedback", "", "paper_id=sample-acea468a&value=up")),
		redirectCase("admin bearer token is no session", login, req{method: "POST", target: "/feedback", token: admin, body: []byte("paper_id=x&value=up"),
			header: []string{"Content-Type", "application/x-www-form-urlencoded"}}),
		htmlCase("no CSRF", forbid, postForm("/feedback", e.cookie, "paper_id=sample-acea468a&value=up")),
		htmlCase("forged CSRF", forbid, postForm("/feedback", e.cookie, "csrf=x&paper_id=sample-acea468a&value=up")),
		htmlCase("deep nesting", forbid, postForm("/feedback", e.cookie, bigNesting)),
		htmlCase("oversized", forbid, postForm("/feedback", e.cookie, strings.Repeat("a=b&", 20000))),
	}
	for _, o := range cookieOddities {
		cs = append(cs, redirectCase(o.name, login, postForm("/feedback", o.cookie, csrf+"&paper_id=sample-acea468a&value=up")))
	}
	vote := func(name string, status int, rest string) {
		cs = append(cs, htmlCase(name, status, postForm("/feedback", e.cookie, csrf+"&"+rest)))
	}
	vote("no value", bad, "paper_id=sample-acea468a")
	vote("value junk", bad, "paper_id=sample-acea468a&value=meh")
	vote("value NUL", bad, "paper_id=sample-acea468a&value=up%00")
	vote("no paper", bad, "value=up")
	vote("unknown paper", notFound, "paper_id=2401.99999&value=up")
	vote("NUL paper", notFound, "paper_id=%00&value=up")
	vote("invalid UTF-8 paper", notFound, "paper_id=%ff%fe&value=up")
	vote("long paper", notFound, "paper_id="+strings.Repeat("x", 20000)+"&value=up")
	vote("path traversal paper", notFound, "paper_id=..%2F..%2Fetc%2Fpasswd&value=up")
	back := func(name, back, location string) {
		cs = append(cs, redirectCase(name, location, postForm("/feedback", e.cookie, csrf+"&paper_id=sample-acea468a&value=up&back="+back)))
	}
	back("back off the site", "//evil.example", "/#p-sample-acea468a")
	back("back absolute", url.QueryEscape("https://evil.example/"), "/#p-sample-acea468a")
	back("back with CRLF", "/%0d%0aSet-Cookie:x=1", "/#p-sample-acea468a")
	back("back on the site", url.QueryEscape("/?date="+rankedDate), "/?date="+rankedDate+"#p-sample-acea468a")
	return cs
}

func similarPageCases(e *env) []hcase {
	var cs []hcase
	for i, o := range idOddities {
		if i == 0 {
			continue // the escaped slash is an ordinary path below
		}
		cs = append(cs, htmlCase(o.name, notFound, req{method: "GET", target: "/papers/" + o.seg + "/similar"}))
	}
	for _, q := range queryOddities {
		cs = append(cs, htmlCase(q.name, ok, req{method: "GET", target: "/papers/sample-acea468a/similar?" + q.query}))
	}
	return append(cs,
		htmlCase("without /similar", notFound, req{method: "GET", target: "/papers/sample-acea468a"}),
		htmlCase("no id", notFound, req{method: "GET", target: "/papers//similar"}),
		htmlCase("escaped slashes", notFound, req{method: "GET", target: "/papers/..%2F..%2Fetc%2Fpasswd/similar"}),
		htmlCase("signed in", ok, cookieReq("GET", "/papers/sample-acea468a/similar", e.cookie)),
		htmlCase("junk session", ok, cookieReq("GET", "/papers/sample-acea468a/similar", "pp_session=junk")),
	)
}

func searchPageCases(e *env) []hcase {
	var cs []hcase
	// The page always answers; a query it cannot run says so on the page.
	for _, q := range []string{"", "q=", "q=%ff%fe", "q=%00", "q=" + strings.Repeat("%C3%A9", 1500), "q=" + strings.Repeat("%F0%9F%98%80", 100),
		"q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "q=graph&k=-1", "q[]=x"} {
		cs = append(cs, htmlCase(truncated(q), ok, req{method: "GET", target: "/search?" + q}))
	}
	for _, q := range queryOddities {
		cs = append(cs, htmlCase(q.name, ok, req{method: "GET", target: "/search?" + q.query}))
	}
	return append(cs, htmlCase("signed in", ok, cookieReq("GET", "/search?q=graph", e.cookie)))
}

// settingsCases: a settings form wants a session and its CSRF token.
func settingsCases(e *env, target string, okStatus int) []hcase {
	login := "/login?next=" + url.QueryEscape(target)
	csrf := "csrf=" + url.QueryEscape(e.csrf)
	cs := []hcase{
		redirectCase("signed out", login, postForm(target, "", csrf)),
		redirectCase("admin bearer token is no session", login, req{method: "POST", target: target, token: admin}),
		htmlCase("no CSRF", forbid, postForm(target, e.cookie, "digest=on")),
		htmlCase("forged CSRF", forbid, postForm(target, e.cookie, "csrf=forged")),
		htmlCase("oversized", forbid, postForm(target, e.cookie, strings.Repeat("a=b&", 20000))),
	}
	for _, o := range cookieOddities {
		cs = append(cs, redirectCase(o.name, login, postForm(target, o.cookie, csrf)))
	}
	for _, body := range []string{"", "&digest=on", "&digest=maybe", "&digest=%00", "&digest=" + strings.Repeat("x", 5000), "&digest=on&digest=off"} {
		if okStatus == http.StatusSeeOther {
			cs = append(cs, redirectCase("form"+truncated(body), "/#settings", postForm(target, e.cookie, csrf+body)))
		} else {
			cs = append(cs, htmlCase("form"+truncated(body), okStatus, postForm(target, e.cookie, csrf+body)))
		}
	}
	return cs
}

func emailLinkCases(e *env, m string) []hcase {
	var cs []hcase
	for i, o := range idOddities {
		if i == 0 {
			cs = append(cs, c(o.name, notFound, req{method: m, target: "/e/" + o.seg}))
			continue
		}
		cs = append(cs, htmlCase(o.name, bad, req{method: m, target: "/e/" + o.seg}))
	}
	up := signed(e.alice, links.Up, "sample-acea468a", time.Hour)
	tampered := []byte(up)
	tampered[len(tampered)/3] ^= 2
	cs = append(cs,
		htmlCase("tampered", bad, req{method: m, target: "/e/" + string(tampered)}),
		htmlCase("truncated", bad, req{method: m, target: "/e/" + up[:len(up)-3]}),
		htmlCase("expired", http.StatusGone, req{method: m, target: "/e/" + signed(e.alice, links.Up, "sample-acea468a", -time.Minute)}),
		htmlCase("a sign-in link", bad, req{method: m, target: "/e/" + signed(e.alice, links.Login, "", time.Hour)}),
		htmlCase("unknown paper", notFound, req{method: m, target: "/e/" + signed(e.alice, links.Up, "2401.99999", time.Hour)}),
		htmlCase("paper id with NUL", notFound, req{method: m, target: "/e/" + signed(e.alice, links.Down, "x\x00y", time.Hour)}),
		htmlCase("user who is gone", notFound, req{method: m, target: "/e/" + signed("u_gone", links.Up, "sample-acea468a", time.Hour)}),
		htmlCase("vote", ok, req{method: m, target: "/e/" + up}),
		htmlCase("vote again", ok, req{method: m, target: "/e/" + up}),
		htmlCase("junk body and query", ok, req{method: m, target: "/e/" + up + "?" + queryOddities[0].query, body: []byte(bigNesting)}),
		redirectCase("more like this", "/papers/sample-acea468a/similar", req{method: m, target: "/e/" + signed(e.alice, links.More, "sample-acea468a", time.Hour)}),
	)
	if m == "GET" { // a GET never unsubscribes: it shows the button
		cs = append(cs, htmlCase("unsubscribe asks", ok, req{method: m, target: "/e/" + signed(e.alice, links.Unsubscribe, "", time.Hour)}))
	} else {
		cs = append(cs, htmlCase("one-click unsubscribe", ok, postForm("/e/"+signed(e.alice, links.Unsubscribe, "", time.Hour), "", "List-Unsubscribe=One-Click")))
	}
	return cs
}

func feedCases(e *env) []hcase {
	var cs []hcase
	for _, o := range idOddities {
		cs = append(cs, c(o.name, notFound, req{method: "GET", target: "/feeds/" + o.seg}))
		cs = append(cs, c(o.name+" with prefix", notFound, req{method: "GET", target: "/feeds/pf_" + o.seg}))
	}
	return append(cs,
		c("unknown token", notFound, req{method: "GET", target: "/feeds/pf_unknown"}),
		c("user token as feed token", notFound, req{method: "GET", target: "/feeds/" + e.aliceTok}),
		c("admin bearer token", notFound, req{method: "GET", target: "/feeds/pf_x", token: admin}),
		c("POST", method, req{method: "POST", target: "/feeds/pf_x"}),
	)
}
