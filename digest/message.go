package digest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/display"
)

// messageID is the same for every copy of a user's digest of a date, so a
// message sent again after a crash is recognizably the same message.
func (s *Sender) messageID(userID, date string) string {
	sum := sha256.Sum256([]byte(userID))
	return "digest." + date + "." + hex.EncodeToString(sum[:8]) + "@" + s.domain()
}

// domain is the From address's domain, for Message-IDs.
func (s *Sender) domain() string {
	if a, err := mail.ParseAddress(s.cfg.SMTP.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			return a.Address[i+1:]
		}
	}
	return "paperpicks.invalid"
}

// recipient checks a stored address before it goes into a header: the
// store validates addresses on the way in, but a header is no place to
// trust that (a CR or LF would start a header of its own).
func recipient(email string) (*mail.Address, error) {
	a, err := mail.ParseAddress(email)
	if err != nil || strings.ContainsAny(email, "\r\n") || a.Address != strings.TrimSpace(email) {
		return nil, paperpicks.FieldErrorf("email", "%q is not a deliverable address", email)
	}
	return &mail.Address{Address: a.Address}, nil
}

// envelope is what every message carries.
type envelope struct {
	To          *mail.Address
	MessageID   string
	Date        time.Time
	Unsubscribe string // List-Unsubscribe URL; "" for none
}

// build makes the MIME message: multipart/alternative with the plain text
// first and the HTML last (the preferred part), quoted-printable, UTF-8.
// Only From, To, the subject and our own URLs and ids reach headers; go-mail
// encodes the subject as an RFC 2047 word.
func (s *Sender) build(env envelope, r *Rendered) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(s.cfg.SMTP.From); err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "smtp.from %q is not an address", s.cfg.SMTP.From)
	}
	m.ToMailAddress(env.To)
	m.Subject(display.OneLine(r.Subject))
	m.SetMessageIDWithValue(env.MessageID)
	m.SetDateWithValue(env.Date)
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	if env.Unsubscribe != "" {
		// RFC 8058: a POST of "List-Unsubscribe=One-Click" to this URL
		// unsubscribes without further interaction. (SetListUnsubscribeOneClick
		// would insist on https; a development server has http only.)
		m.SetListUnsubscribe(env.Unsubscribe)
		m.SetListUnsubscribePost()
	}
	m.SetBodyString(gomail.TypeTextPlain, r.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	return m, nil
}

// randomID is a fresh Message-ID local part.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return "login." + hex.EncodeToString(b[:])
}
