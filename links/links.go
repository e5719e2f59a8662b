// Package links signs and verifies the one-click links paperpicks mails
// and serves: thumbs up or down, more like this, unsubscribe, sign in.
//
// A token is base64url(payload) "." base64url(mac), where payload is the
// URL-encoded claims (action, user, paper, expiry in Unix seconds) and mac
// the first 16 bytes of HMAC-SHA256 over the payload's bytes, keyed with a
// key derived from the server secret for this one purpose. Verification
// recomputes the MAC over the bytes received and compares in constant time
// before reading any claim, so a changed byte anywhere is refused. Tokens
// carry no state: a link works until it expires, any number of times, and
// what it does is idempotent (a vote is set, not toggled).
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// Action is what a link does.
type Action string

const (
	Up          Action = "up"    // thumbs up
	Down        Action = "down"  // thumbs down
	None        Action = "none"  // take a vote back
	More        Action = "more"  // more like this
	Unsubscribe Action = "unsub" // stop the daily email
	Login       Action = "login" // sign in to the web page
)

func (a Action) valid() bool {
	switch a {
	case Up, Down, None, More, Unsubscribe, Login:
		return true
	}
	return false
}

// Claims are what a link says. PaperID is empty for Unsubscribe and Login.
type Claims struct {
	Action  Action
	UserID  string
	PaperID string
	Expires time.Time
}

// ErrExpired is in the chain of the error Verify returns for a genuine
// link past its expiry; ErrInvalid in that of any other refusal.
var (
	ErrExpired = errors.New("link expired")
	ErrInvalid = errors.New("link not valid")
)

// Invalid is the error for a link that is not what it must be.
func Invalid(msg string) error {
	return paperpicks.WrapError(paperpicks.EINVALID, ErrInvalid, "%s", msg)
}

// macSize is the length of the truncated MAC: 128 bits.
const macSize = 16

var b64 = base64.RawURLEncoding

// Signer signs and verifies links with one key.
type Signer struct {
	key []byte
}

// NewSigner returns a signer whose key is derived from secret for purpose
// (e.g. "email-link"), so keys for different uses never coincide.
func NewSigner(secret []byte, purpose string) *Signer {
	return &Signer{key: Derive(secret, purpose)}
}

// Derive returns a 32-byte key for purpose: HMAC-SHA256(secret, label).
func Derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("paperpicks/v1/" + purpose))
	return m.Sum(nil)
}

// Sign returns the token for c.
func (s *Signer) Sign(c Claims) string {
	v := url.Values{}
	v.Set("a", string(c.Action))
	v.Set("u", c.UserID)
	if c.PaperID != "" {
		v.Set("p", c.PaperID)
	}
	v.Set("x", strconv.FormatInt(c.Expires.Unix(), 10))
	payload := []byte(v.Encode())
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(s.mac(payload))
}

func (s *Signer) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// Verify checks token and returns its claims. A malformed or tampered
// token is EINVALID; a genuine one past its expiry at now is EFORBIDDEN
// wrapping ErrExpired (its claims are returned too, so a page can say
// whose link it was).
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	bad := Invalid("this link is not valid")
	p64, m64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return Claims{}, bad
	}
	payload, err1 := b64.DecodeString(p64)
	mac, err2 := b64.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(payload)) {
		return Claims{}, bad
	}
	v, err := url.ParseQuery(string(payload))
	if err != nil {
		return Claims{}, bad
	}
	x, err := strconv.ParseInt(v.Get("x"), 10, 64)
	c := Claims{Action: Action(v.Get("a")), UserID: v.Get("u"), PaperID: v.Get("p"), Expires: time.Unix(x, 0).UTC()}
	if err != nil || !c.Action.valid() || c.UserID == "" {
		return Claims{}, bad
	}
	if !now.Before(c.Expires) {
		return c, paperpicks.WrapError(paperpicks.EFORBIDDEN, ErrExpired, "this link expired on %s", c.Expires.Format("2 January 2006"))
	}
	return c, nil
}

// Purpose is what the server secret is derived for to sign email links.
const Purpose = "email-link"

// URL returns the address of the link for c under base, the service's
// public URL: /login/TOKEN for Login, /e/TOKEN for every other action.
func (s *Signer) URL(base string, c Claims) string {
	path := "/e/"
	if c.Action == Login {
		path = "/login/"
	}
	return strings.TrimSuffix(base, "/") + path + s.Sign(c)
}
