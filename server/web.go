package server

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/store"
)

// Web is what the readers' pages, the one-click email links and the feeds
// need. A nil Deps.Web leaves them out.
type Web struct {
	// Secret signs email links, session CSRF tokens and sign-in links.
	Secret []byte
	// BaseURL is the public URL of the service; mailed and fed links
	// point there (never at the request's Host header, which a client
	// chooses).
	BaseURL    string
	Store      WebStore
	Mailer     LoginMailer // nil: sign-in links cannot be mailed
	SessionTTL time.Duration
	LoginTTL   time.Duration
}

// WebStore is what the pages read and write beyond Deps.Store.
type WebStore interface {
	store.Sessions
	store.Feeds
}

// LoginMailer mails a sign-in link (digest.Sender does).
type LoginMailer interface {
	SendLogin(ctx context.Context, u *paperpicks.User, link, until string) error
}

//go:embed templates/*.html
var webTemplates embed.FS

//go:embed static/app.css
var webStatic embed.FS

// web is the state of the pages, built once by webRoutes.
type web struct {
	*Web
	links    *links.Signer
	csrfKey  []byte
	cssURL   string
	tmpl     *template.Template
	loginBox chan struct{} // bounds sign-in mails in flight
}

// webRoutes wires the pages, the email links and the feeds.
func (s *Server) webRoutes() {
	if s.webCfg == nil {
		return
	}
	w := s.webCfg
	if w.SessionTTL <= 0 {
		w.SessionTTL = 30 * 24 * time.Hour
	}
	if w.LoginTTL <= 0 {
		w.LoginTTL = 24 * time.Hour
	}
	css, err := fs.ReadFile(webStatic, "static/app.css")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	sum := sha256.Sum256(css)
	s.web = &web{Web: w, links: links.NewSigner(w.Secret, links.Purpose), csrfKey: links.Derive(w.Secret, "csrf"),
		cssURL: "/static/app.css?v=" + hex.EncodeToString(sum[:6]), loginBox: make(chan struct{}, 16)}
	s.web.tmpl = template.Must(template.New("").ParseFS(webTemplates, "templates/*.html"))
	s.router.SetHTMLTemplate(s.web.tmpl)

	r := s.router
	r.GET("/static/app.css", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, "text/css; charset=utf-8", css)
	})
	g := r.Group("", s.webHeaders, s.webSession)
	g.GET("/", s.picksPage)
	g.GET("/login", s.loginPage)
	g.POST("/login", s.postLogin)
	g.GET("/login/:token", s.magicLogin)
	g.POST("/logout", s.postLogout)
	g.POST("/feedback", s.postWebFeedback)
	g.GET("/papers/*rest", s.similarPage)
	g.GET("/search", s.searchPage)
	g.POST("/settings/digest", s.postDigestSetting)
	g.POST("/settings/feed", s.postFeedSetting)
	g.GET("/e/:token", s.emailLink)
	g.POST("/e/:token", s.emailLink)
	r.GET("/feeds/:token", s.feed)
	r.POST("/v1/users/:id/feed-token", s.requireUser, s.rotateFeedToken)
}

// webHeaders keeps pages out of frames and caches, scripts out entirely,
// and tokens in URLs (/e/…, /login/…) out of Referer headers.
func (s *Server) webHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	c.Next()
}

// page is what every page's layout shows.
type page struct {
	Title string
	User  *paperpicks.User
	CSRF  string
	Query string
	CSS   string
}

func (s *Server) page(c *gin.Context, title string) page {
	return page{Title: title, User: sessionUser(c), CSRF: s.csrfToken(c), Query: c.Query("q"), CSS: s.web.cssURL}
}

// messagePage is a short page: a result, or an error said kindly.
type messagePage struct {
	page
	Heading string
	Text    string
	Code    string // shown to copy, e.g. a feed URL
	Links   []pageLink
	Form    *pageForm
}

type pageLink struct{ Href, Label string }

// pageForm is one button that POSTs to Action (no CSRF field: the signed
// URL is the credential).
type pageForm struct{ Action, Button string }

// webError renders err as a page with the status its code maps to, like
// the JSON errors of the API, and logs what a reader must not see.
func (s *Server) webError(c *gin.Context, err error) {
	code := paperpicks.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := messagePage{page: s.page(c, "Something went wrong"), Heading: "Something went wrong", Text: paperpicks.ErrorMessage(err)}
	switch {
	case errors.Is(err, links.ErrExpired):
		status = http.StatusGone
		p.Title, p.Heading = "Link expired", "This link has expired"
		p.Text = paperpicks.ErrorMessage(err) + ". Nothing was changed. Sign in to rate papers on the web page; your next digest brings fresh links."
		p.Links = []pageLink{{"/login", "Sign in"}}
	case errors.Is(err, links.ErrInvalid):
		p.Title, p.Heading = "Link not valid", "This link does not work"
		p.Text = "It may have been cut short or changed on its way. Nothing was changed. Try copying the whole link from the email, or sign in."
		p.Links = []pageLink{{"/login", "Sign in"}}
	case code == paperpicks.ENOTFOUND:
		p.Title, p.Heading = "Not found", "Not found"
	case status >= 500:
		s.log.Error("page failed", "path", c.FullPath(), "status", status, "err", err)
		p.Text = "Please try again in a moment."
	}
	c.HTML(status, "message.html", p)
	c.Abort()
}

// localPath returns next when it is a path on this site, else "/"; it
// keeps redirects after sign-in and feedback from leaving the site.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// base is the public URL links are made under.
func (s *Server) base() string { return strings.TrimSuffix(s.web.BaseURL, "/") }
