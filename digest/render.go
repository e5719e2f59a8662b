package digest

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/display"
	"github.com/paperpicks/paperpicks/links"
)

//go:embed templates/*
var templateFS embed.FS

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("").ParseFS(templateFS, "templates/*.html"))
	textTmpl = texttemplate.Must(texttemplate.New("").ParseFS(templateFS, "templates/*.txt"))
)

// Item is one pick as a message shows it. Every string is plain text;
// the HTML template escapes it.
type Item struct {
	Rank    int
	Title   string
	URL     string // the paper (http or https only), else its page here
	Authors string
	Snippet string
	Reason  string
	Up      string // one-click links
	Down    string
	More    string
}

// View is everything a digest shows.
type View struct {
	Date        string // YYYY-MM-DD
	LongDate    string // Monday, 2 November 2026
	Items       []Item
	Preheader   string // what mail clients show after the subject
	Open        string // sign-in link to the picks page of the date
	Unsubscribe string
	Base        string
}

// Rendered is a composed message, before it becomes MIME.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Subject names the count and the date.
func (v *View) Subject() string {
	n := "1 paper pick"
	if len(v.Items) != 1 {
		n = strconv.Itoa(len(v.Items)) + " paper picks"
	}
	return "Your " + n + " for " + v.LongDate
}

// render fills both templates.
func render(v *View) (*Rendered, error) {
	var h, t bytes.Buffer
	if err := htmlTmpl.ExecuteTemplate(&h, "digest.html", v); err != nil {
		return nil, err
	}
	if err := textTmpl.ExecuteTemplate(&t, "digest.txt", v); err != nil {
		return nil, err
	}
	return &Rendered{Subject: v.Subject(), Text: t.String(), HTML: h.String()}, nil
}

// view builds the view of a user's picks for date; papers holds the picked
// papers and the liked papers that explain them.
func (s *Sender) view(u *paperpicks.User, date string, picks []paperpicks.Pick, papers map[string]*paperpicks.Paper) *View {
	now := s.now()
	day, _ := time.Parse(paperpicks.DateLayout, date)
	base := strings.TrimSuffix(s.cfg.BaseURL, "/")
	v := &View{Date: date, LongDate: day.Format("Monday, 2 January 2006"), Base: base}
	exp := now.Add(s.cfg.LinkTTL)
	link := func(a links.Action, paper string) string {
		return s.links.URL(base, links.Claims{Action: a, UserID: u.ID, PaperID: paper, Expires: exp})
	}
	for _, p := range picks {
		pp := papers[p.PaperID]
		if pp == nil {
			continue // deleted from the catalog since the run
		}
		it := Item{Rank: p.Rank, Title: display.OneLine(pp.Title), URL: display.SafeURL(pp.URL), Authors: display.Authors(pp.Authors), Snippet: display.Snippet(pp.Abstract, 280),
			Reason: reason(p, papers), Up: link(links.Up, p.PaperID), Down: link(links.Down, p.PaperID), More: link(links.More, p.PaperID)}
		if it.URL == "" {
			it.URL = base + "/papers/" + pathEscape(p.PaperID) + "/similar"
		}
		if it.Title == "" {
			it.Title = p.PaperID
		}
		v.Items = append(v.Items, it)
	}
	if len(v.Items) > 0 {
		v.Preheader = v.Items[0].Title
	}
	v.Open = s.links.URL(base, links.Claims{Action: links.Login, UserID: u.ID, Expires: now.Add(s.cfg.LoginTTL)}) + "?next=" + url.QueryEscape("/?date="+date)
	// An unsubscribe link must keep working long after the message came.
	v.Unsubscribe = s.links.URL(base, links.Claims{Action: links.Unsubscribe, UserID: u.ID, Expires: now.Add(max(s.cfg.LinkTTL, 365*24*time.Hour))})
	return v
}

// pathEscape escapes an id for a path, keeping the slash of old-style
// arXiv ids (hep-th/9901001) that the paper routes accept.
func pathEscape(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Reason says why a pick was chosen.
func reason(p paperpicks.Pick, papers map[string]*paperpicks.Paper) string {
	switch p.Kind {
	case paperpicks.PickTrending:
		return "Popular with readers this week"
	case paperpicks.PickFilled:
		return "A recent paper you have not seen yet"
	}
	if r := papers[p.Reason]; r != nil && r.Title != "" {
		return "Because you liked “" + display.OneLine(r.Title) + "”"
	}
	return "Close to the papers you liked"
}
