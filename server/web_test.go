package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/internal/testapp"
)

type page struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%.500s", p.body)
	}
	return m[1]
}

func cookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Sign-in by email answers alike for known and unknown addresses, mails
// only the known one, and its link starts a session that sign-out ends.
func TestSignInByEmail(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ada := app.NewUser(t, "ada@example.org", testapp.Likes...)
	app.RunDaily(t)
	b := app.Browser(t)

	if p := fetch(t, b, "GET", app.URL+"/", nil); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("/ signed out = %d → %q", p.status, p.header.Get("Location"))
	}
	form := fetch(t, b, "GET", app.URL+"/login", nil)
	if form.status != 200 || !strings.Contains(form.body, `<label for="email">`) {
		t.Fatalf("sign-in page = %d", form.status)
	}
	if h := form.header.Get("Content-Security-Policy"); !strings.Contains(h, "default-src 'none'") || form.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers: CSP %q", h)
	}
	tok := csrfOf(t, form)
	if p := fetch(t, b, "POST", app.URL+"/login", url.Values{"email": {"ada@example.org"}}); p.status != 403 {
		t.Errorf("sign-in without the CSRF field = %d, want 403", p.status)
	}
	known := fetch(t, b, "POST", app.URL+"/login", url.Values{"email": {"Ada@Example.org"}, "csrf": {tok}})
	unknown := fetch(t, b, "POST", app.URL+"/login", url.Values{"email": {"eve@example.org"}, "csrf": {tok}})
	strip := func(s string) string { return csrfRE.ReplaceAllString(s, "") }
	if known.status != 200 || known.status != unknown.status || strip(known.body) != strip(unknown.body) {
		t.Errorf("known and unknown addresses answered differently: %d vs %d", known.status, unknown.status)
	}
	msgs := app.SMTP.Wait(1, 5*time.Second)
	time.Sleep(50 * time.Millisecond) // a mail to eve would have come by now
	if len(msgs) != 1 || len(app.SMTP.For("ada@example.org")) != 1 {
		t.Fatalf("messages: %d, want one to ada", len(app.SMTP.Messages()))
	}
	m, err := digesttest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, l := range m.Links() {
		if strings.HasPrefix(l, app.URL+"/login/") {
			link = l
		}
	}
	if m.Subject != "Sign in to paperpicks" || link == "" || !strings.Contains(m.Text, link) {
		t.Fatalf("sign-in mail: subject %q, link %q", m.Subject, link)
	}

	in := fetch(t, b, "GET", link, nil)
	c := cookie(in.header, "pp_session")
	if in.status != 303 || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.MaxAge <= 0 {
		t.Fatalf("sign-in link = %d, cookie %+v", in.status, c)
	}
	home := fetch(t, b, "GET", app.URL+"/", nil)
	if home.status != 200 || strings.Count(home.body, `class="card"`) != 10 || !strings.Contains(home.body, "Sign out") {
		t.Fatalf("picks page = %d with %d cards", home.status, strings.Count(home.body, `class="card"`))
	}
	if home.header.Get("Cache-Control") != "no-store" {
		t.Errorf("picks page Cache-Control = %q", home.header.Get("Cache-Control"))
	}

	// Sign out: the session ends on the server, not only in this browser.
	out := fetch(t, b, "POST", app.URL+"/logout", url.Values{"csrf": {csrfOf(t, home)}})
	if out.status != 303 {
		t.Fatalf("sign-out = %d", out.status)
	}
	replay := &http.Client{CheckRedirect: b.CheckRedirect}
	if p := fetch(t, replay, "GET", app.URL+"/", nil, "Cookie", "pp_session="+c.Value); p.status != 303 {
		t.Errorf("the old session cookie after sign-out = %d, want a redirect to sign in", p.status)
	}
	// Behind a TLS proxy the cookie is Secure.
	in = fetch(t, app.Browser(t), "GET", app.LoginURL(ada.ID), nil, "X-Forwarded-Proto", "https")
	if c := cookie(in.header, "pp_session"); c == nil || !c.Secure {
		t.Errorf("cookie behind TLS = %+v, want Secure", c)
	}
}

func TestWebFeedbackNeedsCSRF(t *testing.T) {
	ctx := context.Background()
	app := testapp.New(t, testapp.Options{})
	ada := app.NewUser(t, "ada@example.org", testapp.Likes...)
	eve := app.NewUser(t, "eve@example.org")
	date := app.RunDaily(t)
	picks, _ := app.Store.GetPicks(ctx, ada.ID, date)
	target := picks[0].PaperID
	b, other := app.Browser(t), app.Browser(t)
	app.SignIn(t, b, ada.ID)
	app.SignIn(t, other, eve.ID)
	home := fetch(t, b, "GET", app.URL+"/", nil)
	tok := csrfOf(t, home)
	otherTok := csrfOf(t, fetch(t, other, "GET", app.URL+"/", nil))

	vote := func() paperpicks.Vote {
		votes, _ := app.Store.Votes(ctx, ada.ID)
		for _, v := range votes {
			if v.PaperID == target {
				return v.Value
			}
		}
		return paperpicks.VoteNone
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   paperpicks.Vote
	}{
		{"no token", url.Values{"paper_id": {target}, "value": {"up"}}, 403, paperpicks.VoteNone},
		{"another session's token", url.Values{"paper_id": {target}, "value": {"up"}, "csrf": {otherTok}}, 403, paperpicks.VoteNone},
		{"a forged token", url.Values{"paper_id": {target}, "value": {"up"}, "csrf": {strings.ToUpper(tok)}}, 403, paperpicks.VoteNone},
		{"thumbs up", url.Values{"paper_id": {target}, "value": {"up"}, "csrf": {tok}, "back": {"/?date=" + date}}, 303, paperpicks.VoteUp},
		{"the same again", url.Values{"paper_id": {target}, "value": {"up"}, "csrf": {tok}}, 303, paperpicks.VoteUp},
		{"thumbs down", url.Values{"paper_id": {target}, "value": {"down"}, "csrf": {tok}}, 303, paperpicks.VoteDown},
		{"taken back", url.Values{"paper_id": {target}, "value": {"none"}, "csrf": {tok}}, 303, paperpicks.VoteNone},
		{"a bad value", url.Values{"paper_id": {target}, "value": {"love"}, "csrf": {tok}}, 400, paperpicks.VoteNone},
		{"an unknown paper", url.Values{"paper_id": {"2401.99999"}, "value": {"up"}, "csrf": {tok}}, 404, paperpicks.VoteNone},
		{"an offsite back", url.Values{"paper_id": {target}, "value": {"up"}, "csrf": {tok}, "back": {"//evil.example/"}}, 303, paperpicks.VoteUp},
	}
	for _, tt := range tests {
		p := fetch(t, b, "POST", app.URL+"/feedback", tt.form)
		if p.status != tt.status || vote() != tt.want {
			t.Errorf("%s: %d, vote %q; want %d, %q", tt.name, p.status, vote(), tt.status, tt.want)
		}
		if p.status == 303 && !strings.HasPrefix(p.header.Get("Location"), "/") {
			t.Errorf("%s: redirect to %q leaves the site", tt.name, p.header.Get("Location"))
		}
		if p.status >= 400 && !strings.Contains(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: error page is %q, want HTML", tt.name, p.header.Get("Content-Type"))
		}
	}
	// The page shows the vote as a pressed button that takes it back.
	if home := fetch(t, b, "GET", app.URL+"/", nil); !strings.Contains(home.body, `value="none" aria-pressed="true"`) {
		t.Error("the picks page does not show the thumbs up as pressed")
	}
}

// Paper text is escaped on every page (ingest already refuses non-http
// URLs; the pages drop them again, see TestSafeURL).
func TestPagesEscapePaperText(t *testing.T) {
	ctx := context.Background()
	app := testapp.New(t, testapp.Options{})
	evil := paperpicks.Paper{ID: "2611.66666", Title: `Graph <script>alert("t")</script> networks`, Abstract: `Graph neural networks <img src=x onerror=alert(1)> for molecules and graphs.`,
		Authors: []string{`<b>Mallory</b>`}, URL: `https://example.org/a?b="><script>x</script>`}
	if sum, err := app.Catalog.IngestPapers(ctx, []paperpicks.Paper{evil}, "test"); err != nil || sum.Added != 1 {
		t.Fatalf("ingest = %+v, %v", sum, err)
	}
	b := app.Browser(t)
	for _, path := range []string{"/search?q=" + url.QueryEscape("graph neural networks molecules"), "/papers/2611.66666/similar"} {
		p := fetch(t, b, "GET", app.URL+path, nil)
		if p.status != 200 || !strings.Contains(p.body, "&lt;script&gt;") {
			t.Fatalf("%s = %d, lacks the escaped title", path, p.status)
		}
		for _, bad := range []string{"<script", "<img", "<b>Mallory", `b="`} {
			if strings.Contains(p.body, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
	if p := fetch(t, b, "GET", app.URL+"/papers/nope/similar", nil); p.status != 404 || !strings.Contains(p.body, "<h1>Not found</h1>") {
		t.Errorf("unknown paper page = %d", p.status)
	}
	if p := fetch(t, b, "GET", app.URL+"/search?q=", nil); p.status != 200 {
		t.Errorf("empty search page = %d", p.status)
	}
}

func TestSettingsOnThePage(t *testing.T) {
	ctx := context.Background()
	app := testapp.New(t, testapp.Options{})
	ada := app.NewUser(t, "ada@example.org", testapp.Likes...)
	app.RunDaily(t)
	b := app.Browser(t)
	app.SignIn(t, b, ada.ID)
	for _, want := range []bool{false, true} {
		home := fetch(t, b, "GET", app.URL+"/", nil)
		v := map[bool]string{true: "on", false: "off"}[want]
		if p := fetch(t, b, "POST", app.URL+"/settings/digest", url.Values{"csrf": {csrfOf(t, home)}, "digest": {v}}); p.status != 303 {
			t.Fatalf("turn %s = %d", v, p.status)
		}
		if u, _ := app.Users.Get(ctx, ada.ID); u.Digest != want {
			t.Errorf("digest after turning it %s = %v", v, u.Digest)
		}
	}
	// A feed URL from the page's button, shown once, works at once.
	home := fetch(t, b, "GET", app.URL+"/", nil)
	p := fetch(t, b, "POST", app.URL+"/settings/feed", url.Values{"csrf": {csrfOf(t, home)}, "back": {"/"}})
	m := regexp.MustCompile(`value="(` + regexp.QuoteMeta(app.URL) + `/feeds/pf_[^"]+)"`).FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("new feed URL = %d\n%.400s", p.status, p.body)
	}
	if f := fetch(t, b, "GET", m[1], nil); f.status != 200 || !strings.Contains(f.body, "<feed") {
		t.Errorf("the page's feed URL = %d", f.status)
	}
	// The style sheet the pages link to is served, cacheable.
	css := regexp.MustCompile(`href="(/static/app.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home.body)
	if css == nil {
		t.Fatal("no style sheet link")
	}
	if f := fetch(t, b, "GET", app.URL+css[1], nil); f.status != 200 || !strings.HasPrefix(f.header.Get("Content-Type"), "text/css") || !strings.Contains(f.header.Get("Cache-Control"), "immutable") {
		t.Errorf("style sheet = %d %q %q", f.status, f.header.Get("Content-Type"), f.header.Get("Cache-Control"))
	}
	// A sign-in link is not a one-click link, nor the other way round.
	login := app.LoginURL(ada.ID)
	if f := fetch(t, b, "GET", strings.Replace(login, "/login/", "/e/", 1), nil); f.status != 400 || !strings.Contains(f.body, "does not work") {
		t.Errorf("a sign-in token at /e/ = %d", f.status)
	}
}
