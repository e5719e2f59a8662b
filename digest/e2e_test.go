package digest_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/internal/testapp"
)

// The whole loop: the daily run, the digest over real SMTP, then the
// message's links followed against the running server, checked in the store.
func TestDigestLinksEndToEnd(t *testing.T) {
	ctx := context.Background()
	app := testapp.New(t, testapp.Options{})
	ada := app.NewUser(t, "ada@example.org", testapp.Likes...)
	date := app.RunDaily(t)
	picks, err := app.Store.GetPicks(ctx, ada.ID, date)
	if err != nil || len(picks) < 3 {
		t.Fatalf("picks of %s: %v, %v", date, picks, err)
	}

	rep, err := app.Digest.SendDate(ctx, date)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("SendDate = %+v, %v", rep, err)
	}
	got := app.SMTP.For("ada@example.org")
	if len(got) != 1 {
		t.Fatalf("ada received %d messages, want 1", len(got))
	}
	m, err := digesttest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}

	// The message: subject, both parts, every pick with its links.
	if want := "Your 10 paper picks for Monday, 2 November 2026"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	papers, _ := app.Store.GetPapers(ctx, []string{picks[0].PaperID, picks[0].Reason})
	first := papers[picks[0].PaperID]
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, htmlish(first.Title, part == m.HTML)) || !strings.Contains(part, "Because you liked") {
			t.Errorf("a part lacks the first pick's title or its reason:\n%.600s", part)
		}
	}
	if len(m.Text) == 0 || len(m.HTML) == 0 {
		t.Fatal("the message lacks a text or an HTML part")
	}
	unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(unsub, app.URL+"/e/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("unsubscribe headers: %q, %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
	}
	actions := linksOf(m, app.URL)
	if len(actions) != 3*len(picks) {
		t.Fatalf("%d one-click links, want 3 per pick (%d picks): %v", len(actions), len(picks), actions)
	}
	if !slices.Contains(m.Links(), unsub) {
		t.Error("the HTML part lacks a visible unsubscribe link")
	}
	// Picks shown in a message stay as they were.
	if rerun, _ := app.Ranker.RunDaily(ctx, date); rerun == nil {
		t.Fatal("rerun failed")
	}
	if again, _ := app.Store.GetPicks(ctx, ada.ID, date); again[0].PaperID != picks[0].PaperID {
		t.Error("a rerun changed picks that were mailed")
	}

	client := app.Browser(t)
	get := func(u string) (int, string) {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	vote := func(paper string) paperpicks.Vote {
		votes, _ := app.Store.Votes(ctx, ada.ID)
		for _, v := range votes {
			if v.PaperID == paper {
				return v.Value
			}
		}
		return paperpicks.VoteNone
	}
	events := func() int {
		log, _ := app.Store.FeedbackLog(ctx, ada.ID)
		return len(log)
	}

	// Thumbs up on the first pick, twice: one vote, the second click harmless.
	up1 := actions[0]
	before := events()
	for i := range 2 {
		if code, body := get(up1); code != 200 || !strings.Contains(body, "a good pick") {
			t.Fatalf("click %d on thumbs up = %d\n%.400s", i+1, code, body)
		}
	}
	if vote(picks[0].PaperID) != paperpicks.VoteUp {
		t.Errorf("vote after thumbs up = %q", vote(picks[0].PaperID))
	}
	if n := events() - before; n > 2 {
		t.Errorf("two clicks logged %d events", n)
	}
	profile1, _ := app.Store.GetProfile(ctx, ada.ID)
	get(up1)
	if profile2, _ := app.Store.GetProfile(ctx, ada.ID); profile2.UpW != profile1.UpW {
		t.Errorf("a repeated click changed the profile: %v → %v", profile1.UpW, profile2.UpW)
	}

	// Thumbs down on the second pick.
	if code, _ := get(actions[4]); code != 200 || vote(picks[1].PaperID) != paperpicks.VoteDown {
		t.Errorf("thumbs down = %d, vote %q", code, vote(picks[1].PaperID))
	}

	// More like this redirects to the similar page, which lists papers.
	res, err := client.Get(actions[2])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != 303 || !strings.HasSuffix(loc, "/similar") {
		t.Fatalf("more like this = %d → %q", res.StatusCode, loc)
	}
	if code, body := get(app.URL + res.Header.Get("Location")); code != 200 || strings.Count(body, `class="card"`) != 10 {
		t.Errorf("similar page = %d with %d cards", code, strings.Count(body, `class="card"`))
	}

	// A tampered link changes nothing and says so kindly.
	tampered := actions[6][:len(actions[6])-3] + "AAA"
	code, body := get(tampered)
	if code != 400 || !strings.Contains(body, "does not work") || vote(picks[2].PaperID) != paperpicks.VoteNone {
		t.Errorf("tampered link = %d, vote %q\n%.300s", code, vote(picks[2].PaperID), body)
	}
	forged := strings.Replace(actions[6], "/e/", "/e/x", 1)
	if code, _ := get(forged); code != 400 {
		t.Errorf("forged link = %d, want 400", code)
	}

	// The sign-in link of the message opens the picks page of the date.
	open := ""
	for _, l := range m.Links() {
		if strings.Contains(l, "/login/") {
			open = l
		}
	}
	res, err = client.Get(open)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 || res.Header.Get("Location") != "/?date="+date {
		t.Fatalf("sign-in link = %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if code, body := get(app.URL + "/?date=" + date); code != 200 || strings.Count(body, `class="card"`) != len(picks) {
		t.Errorf("picks page after the sign-in link = %d with %d cards", code, strings.Count(body, `class="card"`))
	}

	// Unsubscribe: the visible link asks first (a GET changes nothing);
	// the one-click POST of RFC 8058 unsubscribes at once.
	if code, body := get(unsub); code != 200 || !strings.Contains(body, "<form") {
		t.Errorf("GET unsubscribe = %d\n%.300s", code, body)
	}
	if u, _ := app.Users.Get(ctx, ada.ID); !u.Digest {
		t.Fatal("a GET of the unsubscribe link unsubscribed")
	}
	res, err = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if u, _ := app.Users.Get(ctx, ada.ID); res.StatusCode != 200 || u.Digest {
		t.Errorf("one-click unsubscribe = %d, digest still %v", res.StatusCode, u.Digest)
	}
	// The next day's run mails nobody.
	app.Clock.Add(24 * time.Hour)
	next := app.RunDaily(t)
	if rep, err := app.Digest.SendDate(ctx, next); err != nil || rep.Sent != 0 || len(app.SMTP.Messages()) != 1 {
		t.Errorf("after unsubscribing: %+v, %v, %d messages", rep, err, len(app.SMTP.Messages()))
	}

	// Thirty-one days on, the links have expired: a page, and no change.
	app.Clock.Add(31 * 24 * time.Hour)
	code, body = get(actions[6])
	if code != 410 || !strings.Contains(body, "expired") || vote(picks[2].PaperID) != paperpicks.VoteNone {
		t.Errorf("expired link = %d, vote %q\n%.300s", code, vote(picks[2].PaperID), body)
	}
}

// linksOf returns the one-click links (/e/…) of the HTML part except the
// unsubscribe link, in order: up, down, more for each pick.
func linksOf(m *digesttest.Parsed, base string) []string {
	unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	var out []string
	for _, l := range m.Links() {
		if strings.HasPrefix(l, base+"/e/") && l != unsub {
			out = append(out, l)
		}
	}
	return out
}

// htmlish is s as the HTML part escapes it.
func htmlish(s string, html bool) string {
	if !html {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
