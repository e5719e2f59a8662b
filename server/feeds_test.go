package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/testapp"
	"github.com/paperpicks/paperpicks/users"
)

func TestAtomFeedAndRotation(t *testing.T) {
	ctx := context.Background()
	app := testapp.New(t, testapp.Options{})
	email := "ada@example.org"
	ada, token, err := app.Users.Create(ctx, users.Settings{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range testapp.Likes {
		app.Profiles.Feedback(ctx, ada.ID, id, paperpicks.VoteUp)
	}
	_, eveToken, _ := app.Users.Create(ctx, users.Settings{})
	day1 := app.RunDaily(t)
	app.Clock.Add(24 * time.Hour)
	day2 := app.RunDaily(t)

	rotate := func(tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", app.URL+"/v1/users/"+ada.ID+"/feed-token", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ URL string }
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.URL
	}
	if code, _ := rotate(""); code != 401 {
		t.Errorf("rotate without a token = %d", code)
	}
	if code, _ := rotate(eveToken); code != 403 {
		t.Errorf("rotate with another user's token = %d", code)
	}
	code, feedURL := rotate(token)
	if code != 200 || !strings.HasPrefix(feedURL, app.URL+"/feeds/pf_") || len(feedURL) < len(app.URL)+50 {
		t.Fatalf("rotate = %d %q", code, feedURL)
	}

	res, err := http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	feed, err := gofeed.NewParser().Parse(res.Body)
	if err != nil {
		t.Fatalf("the feed is not valid Atom: %v", err)
	}
	if feed.FeedType != "atom" || feed.Title == "" || len(feed.Links) == 0 {
		t.Errorf("feed type %q, title %q, links %v", feed.FeedType, feed.Title, feed.Links)
	}
	p1, _ := app.Store.GetPicks(ctx, ada.ID, day1)
	p2, _ := app.Store.GetPicks(ctx, ada.ID, day2)
	if len(feed.Items) != len(p1)+len(p2) {
		t.Fatalf("feed has %d entries, want %d picks of two days", len(feed.Items), len(p1)+len(p2))
	}
	newest, _ := app.Store.GetPapers(ctx, []string{p2[0].PaperID})
	first := feed.Items[0]
	if first.Title != newest[p2[0].PaperID].Title || first.Link == "" || first.GUID == "" || first.UpdatedParsed == nil || first.UpdatedParsed.Format("2006-01-02") != day2 {
		t.Errorf("first entry = %q %q %q %v; want the first pick of %s", first.Title, first.Link, first.GUID, first.UpdatedParsed, day2)
	}
	if !strings.Contains(first.Description, "Because you liked") && !strings.Contains(first.Description, "Popular") {
		t.Errorf("entry lacks the reason: %q", first.Description)
	}
	ids := map[string]bool{}
	for _, it := range feed.Items {
		if ids[it.GUID] {
			t.Errorf("duplicate entry id %q", it.GUID)
		}
		ids[it.GUID] = true
	}

	// Rotating: the new URL works, the old one is gone.
	_, newURL := rotate(token)
	if newURL == feedURL {
		t.Fatal("rotation returned the same URL")
	}
	for u, want := range map[string]int{feedURL: 404, newURL: 200, app.URL + "/feeds/pf_guess": 404, app.URL + "/feeds/" + url.PathEscape("x"): 404} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", u, res.StatusCode, want)
		}
	}
}
