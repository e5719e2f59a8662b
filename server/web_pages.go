package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/internal/display"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/users"
)

// paperCard is a paper as the pages show it, every string ready to print
// (html/template escapes them), so rendering calls no functions.
type paperCard struct {
	ID      string
	Anchor  string // element id suffix
	Path    string // the id escaped for /papers/{id}/similar
	Rank    int
	Title   string
	Href    string // the paper (http or https only), else its similar page
	Authors string
	Snippet string
	Reason  string // "Because you liked"…
	// ReasonTitle and ReasonPath name the liked paper that explains the pick.
	ReasonTitle string
	ReasonPath  string
	Vote        paperpicks.Vote // the reader's current vote
	// Form fields, when a reader is signed in.
	SignedIn bool
	CSRF     string
	Back     string
}

// card prepares p for a page.
func card(p *paperpicks.Paper, rank int, vote paperpicks.Vote, pg page, back string) paperCard {
	c := paperCard{ID: p.ID, Anchor: anchor(p.ID), Path: pathEscape(p.ID), Rank: rank, Title: display.OneLine(p.Title), Href: display.SafeURL(p.URL),
		Authors: display.Authors(p.Authors), Snippet: display.Snippet(p.Abstract, 320), Vote: vote, SignedIn: pg.User != nil, CSRF: pg.CSRF, Back: back}
	if c.Href == "" {
		c.Href = "/papers/" + c.Path + "/similar"
	}
	if c.Title == "" {
		c.Title = p.ID
	}
	return c
}

// dateLink is one date in the picks page's navigation.
type dateLink struct {
	Date, Label string
	Current     bool
}

type picksPage struct {
	page
	Date     string
	LongDate string
	Today    bool
	Cards    []paperCard
	Empty    string // why there are no picks
	Dates    []dateLink
	Back     string
}

// today is the date in the user's time zone.
func (s *Server) today(u *paperpicks.User) string {
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return s.now().In(loc).Format(paperpicks.DateLayout)
}

// picksPage shows a day's picks (today in the reader's time zone unless
// ?date=), with thumbs, reasons, more like this and earlier dates.
func (s *Server) picksPage(c *gin.Context) {
	u := s.requireSession(c)
	if u == nil {
		return
	}
	ctx := c.Request.Context()
	today := s.today(u)
	date := c.DefaultQuery("date", today)
	day, err := rank.ParseDate(date)
	if err != nil {
		s.webError(c, err)
		return
	}
	p := picksPage{page: s.page(c, "Your picks"), Date: date, LongDate: day.Format("Monday, 2 January 2006"), Today: date == today,
		Back: c.Request.URL.RequestURI()}
	views, err := s.PickViews(c, u.ID, date)
	switch {
	case paperpicks.IsCode(err, paperpicks.ENOTFOUND):
		p.Empty = paperpicks.ErrorMessage(err)
		if date == today {
			p.Empty = "Today's picks are not ready yet. They arrive after the daily run; meanwhile, earlier days are below."
		}
	case err != nil:
		s.webError(c, err)
		return
	}
	votes, err := s.voteMap(c, u.ID)
	if err != nil {
		s.webError(c, err)
		return
	}
	for _, v := range views {
		c := card(v.Paper, v.Rank, votes[v.Paper.ID], p.page, p.Back)
		c.Reason = reasonText(v.Kind, v.ReasonTitle)
		if v.ReasonTitle != "" {
			c.ReasonTitle, c.ReasonPath = display.OneLine(v.ReasonTitle), pathEscape(v.Reason)
		}
		p.Cards = append(p.Cards, c)
	}
	if s.metrics != nil {
		s.metrics.PicksServed(len(views))
	}
	dates, err := s.web.Store.PickDates(ctx, u.ID, today, 14)
	if err != nil {
		s.webError(c, err)
		return
	}
	if len(dates) == 0 || dates[0] != today {
		dates = append([]string{today}, dates...)
	}
	for _, d := range dates {
		p.Dates = append(p.Dates, dateLink{Date: d, Label: dayLabel(d, today), Current: d == date})
	}
	c.HTML(http.StatusOK, "picks.html", p)
}

func reasonText(kind paperpicks.PickKind, likedTitle string) string {
	switch {
	case kind == paperpicks.PickTrending:
		return "Popular with readers this week"
	case kind == paperpicks.PickFilled:
		return "A recent paper you have not seen yet"
	case likedTitle != "":
		return "Because you liked"
	}
	return "Close to the papers you liked"
}

// dayLabel names a date for the navigation: Today, Yesterday, Mon 2 Nov.
func dayLabel(date, today string) string {
	d, err1 := time.Parse(paperpicks.DateLayout, date)
	t, err2 := time.Parse(paperpicks.DateLayout, today)
	switch {
	case err1 != nil || err2 != nil:
		return date
	case d.Equal(t):
		return "Today"
	case d.Equal(t.AddDate(0, 0, -1)):
		return "Yesterday"
	case d.Year() != t.Year():
		return d.Format("2 Jan 2006")
	}
	return d.Format("Mon 2 Jan")
}

func (s *Server) voteMap(c *gin.Context, userID string) (map[string]paperpicks.Vote, error) {
	votes, err := s.store.Votes(c.Request.Context(), userID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]paperpicks.Vote, len(votes))
	for _, v := range votes {
		m[v.PaperID] = v.Value
	}
	return m, nil
}

// postWebFeedback records a thumbs button and goes back to the page it
// was on, at the paper.
func (s *Server) postWebFeedback(c *gin.Context) {
	u := s.requireSession(c)
	if u == nil || !s.checkCSRF(c) {
		return
	}
	vote := paperpicks.Vote(c.PostForm("value"))
	id := catalog.CanonicalID(strings.TrimSpace(c.PostForm("paper_id")))
	if !vote.Valid() || id == "" {
		s.webError(c, paperpicks.FieldErrorf("value", "this button sent %q, not up, down or none", vote))
		return
	}
	if _, err := s.profiles.Feedback(c.Request.Context(), u.ID, id, vote); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, localPath(c.PostForm("back"))+"#p-"+anchor(id))
}

// anchor makes an element id of a paper id (old-style ids have a slash).
func anchor(id string) string {
	return strings.NewReplacer("/", "-", ".", "-").Replace(id)
}

type papersPage struct {
	page
	Heading string
	Paper   *paperCard // the paper of a similar page
	Cards   []paperCard
	Back    string
	Empty   string
}

// similarPage is "more like this": the paper and its nearest papers.
func (s *Server) similarPage(c *gin.Context) {
	rest := strings.TrimPrefix(c.Param("rest"), "/")
	id, ok := strings.CutSuffix(rest, "/similar")
	if !ok || id == "" {
		s.webError(c, paperpicks.Errorf(paperpicks.ENOTFOUND, "no page %s", c.Request.URL.Path))
		return
	}
	ctx := c.Request.Context()
	paper, err := s.catalog.Get(ctx, id)
	if err != nil {
		s.webError(c, err)
		return
	}
	res, err := s.catalog.Similar(ctx, paper.ID, 10)
	if err != nil {
		s.webError(c, err)
		return
	}
	p := papersPage{page: s.page(c, "More like "+paper.Title), Heading: "More like this", Back: c.Request.URL.RequestURI()}
	focus := card(paper, 0, "", p.page, p.Back)
	p.Paper = &focus
	if err := s.fillCards(c, &p, res); err != nil {
		s.webError(c, err)
		return
	}
	c.HTML(http.StatusOK, "papers.html", p)
}

// searchPage finds papers by free text.
func (s *Server) searchPage(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	p := papersPage{page: s.page(c, "Search"), Heading: "Search", Back: c.Request.URL.RequestURI()}
	if q != "" {
		p.Title, p.Heading = "Search: "+q, "Papers about “"+q+"”"
		res, err := s.catalog.Search(c.Request.Context(), q, 20)
		if err != nil && !paperpicks.IsCode(err, paperpicks.EINVALID) {
			s.webError(c, err)
			return
		}
		if err != nil {
			p.Empty = paperpicks.ErrorMessage(err)
		} else if err := s.fillCards(c, &p, res); err != nil {
			s.webError(c, err)
			return
		}
		if len(res) == 0 && p.Empty == "" {
			p.Empty = "No paper matches."
		}
	}
	c.HTML(http.StatusOK, "papers.html", p)
}

func (s *Server) fillCards(c *gin.Context, p *papersPage, res []catalog.Result) error {
	votes := map[string]paperpicks.Vote{}
	if u := p.User; u != nil {
		var err error
		if votes, err = s.voteMap(c, u.ID); err != nil {
			return err
		}
	}
	for i, r := range res {
		p.Cards = append(p.Cards, card(r.Paper, i+1, votes[r.ID], p.page, p.Back))
	}
	return nil
}

// postDigestSetting turns the daily email on or off.
func (s *Server) postDigestSetting(c *gin.Context) {
	u := s.requireSession(c)
	if u == nil || !s.checkCSRF(c) {
		return
	}
	on := c.PostForm("digest") == "on"
	if _, err := s.users.Update(c.Request.Context(), u.ID, users.Settings{Digest: &on}); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, localPath(c.PostForm("back"))+"#settings")
}

// postFeedSetting makes a new feed URL (the old one stops working) and
// shows it once.
func (s *Server) postFeedSetting(c *gin.Context) {
	u := s.requireSession(c)
	if u == nil || !s.checkCSRF(c) {
		return
	}
	feedURL, err := s.newFeedToken(c, u.ID)
	if err != nil {
		s.webError(c, err)
		return
	}
	c.HTML(http.StatusOK, "message.html", messagePage{page: s.page(c, "Your feed"), Heading: "Your new feed URL",
		Text: "Add it to your feed reader. Anyone with this URL can read your picks; the previous URL no longer works.",
		Code: feedURL, Links: []pageLink{{localPath(c.PostForm("back")), "Back to your picks"}}})
}
