package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/feeds"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/display"
	"github.com/paperpicks/paperpicks/users"
)

// Each user may have one Atom feed of their picks at /feeds/{token}. The
// token is random (256 bits) and only its hash is stored, like API tokens;
// making a new one (POST /v1/users/{id}/feed-token, or the button on the
// picks page) replaces the old, whose URL then answers 404.

const feedDays = 7 // dates of picks a feed carries

// newFeedToken makes and stores a new feed token and returns its URL.
func (s *Server) newFeedToken(c *gin.Context, userID string) (string, error) {
	tok := randomToken("pf_")
	if err := s.web.Store.SetFeedToken(c.Request.Context(), userID, users.HashToken(tok), s.now()); err != nil {
		return "", err
	}
	return s.base() + "/feeds/" + tok, nil
}

// rotateFeedToken serves POST /v1/users/{id}/feed-token.
func (s *Server) rotateFeedToken(c *gin.Context) {
	u, err := s.users.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	feedURL, err := s.newFeedToken(c, u.ID)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user_id": u.ID, "url": feedURL})
}

// feed serves the Atom feed of a user's picks of the last feedDays dates
// that have any, newest first.
func (s *Server) feed(c *gin.Context) {
	ctx := c.Request.Context()
	tok := c.Param("token")
	if !strings.HasPrefix(tok, "pf_") {
		abort(c, paperpicks.Errorf(paperpicks.ENOTFOUND, "no such feed"))
		return
	}
	userID, err := s.web.Store.UserByFeedToken(ctx, users.HashToken(tok))
	if err != nil {
		abort(c, err)
		return
	}
	u, err := s.users.Get(ctx, userID)
	if err != nil {
		abort(c, err)
		return
	}
	dates, err := s.web.Store.PickDates(ctx, u.ID, s.today(u), feedDays)
	if err != nil {
		abort(c, err)
		return
	}
	sum := sha256.Sum256([]byte(u.ID))
	base := s.base()
	f := &feeds.Feed{
		Title:       "paperpicks: your daily picks",
		Link:        &feeds.Link{Href: base + "/"},
		Description: "Papers picked for you each day",
		Id:          "urn:paperpicks:feed:" + hex.EncodeToString(sum[:8]),
		Updated:     s.now().UTC(),
	}
	for _, date := range dates {
		views, err := s.PickViews(c, u.ID, date)
		if err != nil {
			abort(c, err)
			return
		}
		day, _ := time.Parse(paperpicks.DateLayout, date)
		for _, v := range views {
			f.Items = append(f.Items, feedItem(base, date, day, v))
		}
	}
	if len(f.Items) > 0 {
		f.Updated = f.Items[0].Updated
	}
	atom, err := f.ToAtom()
	if err != nil {
		abort(c, paperpicks.WrapError(paperpicks.EINTERNAL, err, "render feed"))
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("Referrer-Policy", "no-referrer")
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", []byte(atom))
}

// feedItem is one pick as an Atom entry; its id is stable per date and
// paper, so readers see each pick once.
func feedItem(base, date string, day time.Time, v pickView) *feeds.Item {
	p := v.Paper
	link := display.SafeURL(p.URL)
	if link == "" {
		link = base + "/papers/" + pathEscape(p.ID) + "/similar"
	}
	why := reasonText(v.Kind, v.ReasonTitle)
	if v.ReasonTitle != "" && why == "Because you liked" {
		why += " “" + display.OneLine(v.ReasonTitle) + "”"
	}
	desc := display.Snippet(p.Abstract, 400)
	if desc != "" {
		desc += "\n\n"
	}
	it := &feeds.Item{
		Id:          "tag:paperpicks," + date + ":" + url.PathEscape(p.ID),
		Title:       display.OneLine(p.Title),
		Link:        &feeds.Link{Href: link},
		Description: desc + why + ".",
		Updated:     day.Add(time.Duration(v.Rank) * time.Second).UTC(),
		Created:     day.UTC(),
	}
	if it.Title == "" {
		it.Title = p.ID
	}
	if len(p.Authors) > 0 {
		it.Author = &feeds.Author{Name: display.Authors(p.Authors)}
	}
	return it
}
