package digest

import (
	"bytes"
	"context"

	"github.com/paperpicks/paperpicks"
)

// SendLogin mails u a sign-in link to the web page (POST /login). The
// link is made by the caller, which signs it; until says how long it works.
func (s *Sender) SendLogin(ctx context.Context, u *paperpicks.User, link, until string) error {
	to, err := recipient(u.Email)
	if err != nil {
		return err
	}
	data := struct{ Link, Until string }{link, until}
	var h, t bytes.Buffer
	if err := htmlTmpl.ExecuteTemplate(&h, "login.html", data); err != nil {
		return paperpicks.WrapError(paperpicks.EINTERNAL, err, "render sign-in mail")
	}
	if err := textTmpl.ExecuteTemplate(&t, "login.txt", data); err != nil {
		return paperpicks.WrapError(paperpicks.EINTERNAL, err, "render sign-in mail")
	}
	msg, err := s.build(envelope{To: to, MessageID: randomID() + "@" + s.domain(), Date: s.now()},
		&Rendered{Subject: "Sign in to paperpicks", Text: t.String(), HTML: h.String()})
	if err != nil {
		return err
	}
	if err := s.LoginMailer.Send(ctx, msg); err != nil {
		return err
	}
	if s.LoginMailer != s.mailer {
		s.LoginMailer.Close() // sign-ins are rare: no connection kept
	}
	return nil
}
