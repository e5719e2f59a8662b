package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/users"
)

// emailLink serves the one-click links of a digest, GET and POST
// /e/{token}. The signed token is the credential: it names the user, the
// paper, the action and the expiry. A tampered or expired link gets a
// page saying so and changes nothing. Votes are set, not toggled, so a
// second click (or a mail scanner's fetch) changes nothing more.
//
// Unsubscribing needs a POST: a GET shows a one-button page, so link
// checkers that fetch every URL of a message do not unsubscribe anyone;
// the List-Unsubscribe-Post header tells mail clients to POST
// "List-Unsubscribe=One-Click" there, which unsubscribes at once (RFC 8058).
func (s *Server) emailLink(c *gin.Context) {
	claims, err := s.web.links.Verify(c.Param("token"), s.now())
	if err != nil {
		s.webError(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := s.users.Get(ctx, claims.UserID)
	if err != nil {
		s.webError(c, paperpicks.Errorf(paperpicks.ENOTFOUND, "the account of this link no longer exists"))
		return
	}
	switch claims.Action {
	case links.Up, links.Down, links.None:
		s.linkVote(c, claims)
	case links.More:
		c.Redirect(http.StatusSeeOther, "/papers/"+pathEscape(claims.PaperID)+"/similar")
	case links.Unsubscribe:
		if c.Request.Method != http.MethodPost {
			c.HTML(http.StatusOK, "message.html", messagePage{page: s.page(c, "Unsubscribe"), Heading: "Unsubscribe from the daily email?",
				Text: "You will get no more digests at " + u.Email + ". Your picks stay on the web page and in your feed.",
				Form: &pageForm{Action: c.Request.URL.Path, Button: "Unsubscribe"}})
			return
		}
		off := false
		if _, err := s.users.Update(ctx, u.ID, users.Settings{Digest: &off}); err != nil {
			s.webError(c, err)
			return
		}
		s.log.Info("unsubscribed", "user_id", u.ID, "one_click", c.PostForm("List-Unsubscribe") == "One-Click")
		c.HTML(http.StatusOK, "message.html", messagePage{page: s.page(c, "Unsubscribed"), Heading: "You are unsubscribed",
			Text:  "No more daily emails will be sent to " + u.Email + ". You can turn them back on from your picks page.",
			Links: []pageLink{{"/login", "Sign in"}}})
	default:
		s.webError(c, links.Invalid("this link is not valid here"))
	}
}

// linkVote applies a thumbs link and offers the other choices.
func (s *Server) linkVote(c *gin.Context, claims links.Claims) {
	ctx := c.Request.Context()
	paper, err := s.catalog.Get(ctx, claims.PaperID)
	if err != nil {
		s.webError(c, err)
		return
	}
	if _, err := s.profiles.Feedback(ctx, claims.UserID, paper.ID, paperpicks.Vote(claims.Action)); err != nil {
		s.webError(c, err)
		return
	}
	again := func(a links.Action, label string) pageLink {
		cl := claims
		cl.Action = a
		return pageLink{s.web.links.URL("", cl), label}
	}
	p := messagePage{page: s.page(c, "Thanks"), Links: []pageLink{{"/papers/" + pathEscape(paper.ID) + "/similar", "More like this"}}}
	switch claims.Action {
	case links.Up:
		p.Heading, p.Text = "Noted: a good pick", "You liked “"+paper.Title+"”. Tomorrow's picks will lean its way."
		p.Links = append(p.Links, again(links.Down, "Not for me, after all"))
	case links.Down:
		p.Heading, p.Text = "Noted: not for you", "You passed on “"+paper.Title+"”. You will see fewer papers like it."
		p.Links = append(p.Links, again(links.Up, "A good pick, after all"))
	default:
		p.Heading, p.Text = "Vote taken back", "“"+paper.Title+"” no longer counts for or against your picks."
	}
	if claims.Action != links.None {
		p.Links = append(p.Links, again(links.None, "Undo"))
	}
	p.Links = append(p.Links, pageLink{"/", "Your picks"})
	c.HTML(http.StatusOK, "message.html", p)
}

// pathEscape escapes a paper id for a path, keeping the slash of old-style
// arXiv ids (hep-th/9901001), which the paper routes accept.
func pathEscape(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
