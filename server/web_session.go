package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/users"
)

// Sessions: the cookie holds a random 256-bit token; the store keeps its
// SHA-256 with the user and the expiry, so a sign-out (or deleting the
// row) ends the session everywhere, on every instance. The CSRF token of
// a session is HMAC(csrf key, session token): nothing to store, unknown to
// anyone without the cookie, and checked in constant time on every POST.
// Before sign-in, the sign-in form is protected the same way by a random
// "pp_csrf" cookie (double submit, the field being the cookie's HMAC).
const (
	sessionCookie = "pp_session"
	anonCookie    = "pp_csrf"
	ctxUser       = "web.user"
	ctxSession    = "web.session"
)

func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// secure reports whether the request came over TLS, directly or through a
// proxy that says so. A client lying about it only gets a cookie it will
// not send back over plain HTTP.
func secure(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func setCookie(c *gin.Context, name, value string, maxAge time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: secure(c), SameSite: http.SameSiteLaxMode})
}

// webSession loads the signed-in user, if any, into the context.
func (s *Server) webSession(c *gin.Context) {
	tok, err := c.Cookie(sessionCookie)
	if err != nil || tok == "" {
		c.Next()
		return
	}
	ctx := c.Request.Context()
	sess, err := s.web.Store.GetSession(ctx, users.HashToken(tok), s.now())
	if err != nil {
		if !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
			s.webError(c, err)
			return
		}
		setCookie(c, sessionCookie, "", -time.Second) // ended or expired: forget it
		c.Next()
		return
	}
	u, err := s.users.Get(ctx, sess.UserID)
	if err != nil {
		s.webError(c, err)
		return
	}
	c.Set(ctxUser, u)
	c.Set(ctxSession, tok)
	c.Next()
}

func sessionUser(c *gin.Context) *paperpicks.User {
	u, _ := c.Get(ctxUser)
	user, _ := u.(*paperpicks.User)
	return user
}

// csrfToken is the token forms on this page carry: the session's, or
// before sign-in the anonymous cookie's (set here when missing).
func (s *Server) csrfToken(c *gin.Context) string {
	if tok := c.GetString(ctxSession); tok != "" {
		return s.csrfFor("session:" + tok)
	}
	anon, err := c.Cookie(anonCookie)
	if err != nil || len(anon) < 20 {
		anon = randomToken("")
		setCookie(c, anonCookie, anon, 24*time.Hour)
		c.Request.AddCookie(&http.Cookie{Name: anonCookie, Value: anon}) // later calls in this request agree
	}
	return s.csrfFor("anon:" + anon)
}

func (s *Server) csrfFor(v string) string {
	m := hmac.New(sha256.New, s.web.csrfKey)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a form whose token is not this browser's.
func (s *Server) checkCSRF(c *gin.Context) bool {
	want := ""
	if tok := c.GetString(ctxSession); tok != "" {
		want = s.csrfFor("session:" + tok)
	} else if anon, err := c.Cookie(anonCookie); err == nil && anon != "" {
		want = s.csrfFor("anon:" + anon)
	}
	got := c.PostForm("csrf")
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		s.webError(c, paperpicks.Errorf(paperpicks.EFORBIDDEN, "this form expired or came from another site; go back, reload the page and try again"))
		return false
	}
	return true
}

// requireSession sends a visitor who is not signed in to the sign-in page.
func (s *Server) requireSession(c *gin.Context) *paperpicks.User {
	u := sessionUser(c)
	if u == nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
	}
	return u
}

type loginPage struct {
	page
	Next  string
	Sent  bool
	Error string
}

func (s *Server) loginPage(c *gin.Context) {
	if sessionUser(c) != nil {
		c.Redirect(http.StatusSeeOther, localPath(c.Query("next")))
		return
	}
	c.HTML(http.StatusOK, "login.html", loginPage{page: s.page(c, "Sign in"), Next: localPath(c.Query("next"))})
}

// postLogin mails a sign-in link when the address belongs to a user, and
// answers the same page, as fast, when it does not: the mail goes out in
// the background, so neither the page nor its timing tells who has an
// account.
func (s *Server) postLogin(c *gin.Context) {
	if !s.checkCSRF(c) {
		return
	}
	email, err := users.CleanEmail(c.PostForm("email"))
	if err != nil || email == "" {
		c.HTML(http.StatusBadRequest, "login.html", loginPage{page: s.page(c, "Sign in"), Next: localPath(c.PostForm("next")),
			Error: "Please enter an email address like ada@example.org."})
		return
	}
	next := localPath(c.PostForm("next"))
	if u, err := s.web.Store.UserByEmail(c.Request.Context(), email); err == nil {
		s.mailLogin(u, next)
	} else if !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		s.log.Error("sign-in lookup failed", "err", err)
	}
	c.HTML(http.StatusOK, "login.html", loginPage{page: s.page(c, "Check your email"), Next: next, Sent: true})
}

// mailLogin sends u a sign-in link in the background. At most a few mails
// are in flight; beyond that a request is dropped (and logged), which
// also caps how fast anyone can make us mail a victim.
func (s *Server) mailLogin(u *paperpicks.User, next string) {
	if s.web.Mailer == nil {
		s.log.Warn("sign-in link not mailed: email is not configured (smtp.host)", "user_id", u.ID)
		return
	}
	exp := s.now().Add(s.web.LoginTTL)
	link := s.web.links.URL(s.base(), links.Claims{Action: links.Login, UserID: u.ID, Expires: exp})
	if next != "/" {
		link += "?next=" + url.QueryEscape(next)
	}
	select {
	case s.web.loginBox <- struct{}{}:
	default:
		s.log.Warn("sign-in mail dropped: too many in flight", "user_id", u.ID)
		return
	}
	go func() {
		defer func() { <-s.web.loginBox }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.web.Mailer.SendLogin(ctx, u, link, exp.UTC().Format("2 January 2006, 15:04 MST")); err != nil {
			s.log.Error("sign-in mail failed", "user_id", u.ID, "err", err)
		}
	}()
}

// magicLogin signs in with a mailed link and starts a session.
func (s *Server) magicLogin(c *gin.Context) {
	claims, err := s.web.links.Verify(c.Param("token"), s.now())
	if err == nil && claims.Action != links.Login {
		err = links.Invalid("this link is not a sign-in link")
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.users.Get(ctx, claims.UserID); err != nil {
		s.webError(c, paperpicks.Errorf(paperpicks.ENOTFOUND, "the account of this link no longer exists"))
		return
	}
	if old := c.GetString(ctxSession); old != "" {
		s.web.Store.DeleteSession(ctx, users.HashToken(old))
	}
	tok := randomToken("ps_")
	now := s.now()
	if err := s.web.Store.CreateSession(ctx, &store.Session{TokenHash: users.HashToken(tok), UserID: claims.UserID, CreatedAt: now, ExpiresAt: now.Add(s.web.SessionTTL)}); err != nil {
		s.webError(c, err)
		return
	}
	setCookie(c, sessionCookie, tok, s.web.SessionTTL)
	c.Redirect(http.StatusSeeOther, localPath(c.Query("next")))
}

func (s *Server) postLogout(c *gin.Context) {
	if !s.checkCSRF(c) {
		return
	}
	if tok := c.GetString(ctxSession); tok != "" {
		if err := s.web.Store.DeleteSession(c.Request.Context(), users.HashToken(tok)); err != nil {
			s.webError(c, err)
			return
		}
	}
	setCookie(c, sessionCookie, "", -time.Second)
	c.Redirect(http.StatusSeeOther, "/login")
}
