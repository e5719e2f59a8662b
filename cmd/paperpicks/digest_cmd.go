package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/server"
)

func init() {
	register(&command{name: "digest", usage: "[--date YYYY-MM-DD] [--user USER_ID] [--dry-run]",
		summary: "send the daily email of a date (to one user), or print it with --dry-run",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			date := fs.String("date", "", "the date whose picks to mail (default: today in rank.time_zone)")
			user := fs.String("user", "", "only this user (default: every user with an address and the digest on)")
			dry := fs.Bool("dry-run", false, "print the messages (RFC 5322) instead of sending them; records nothing")
			return func(ctx context.Context, e *env, args []string) error {
				if err := wantArgs(args, 0, "no arguments"); err != nil {
					return err
				}
				return withApp(ctx, e, func(a *app) error { return a.digestCmd(ctx, e, *date, *user, *dry) })
			}
		}})
}

func (a *app) digestCmd(ctx context.Context, e *env, date, user string, dry bool) error {
	if date == "" {
		date = time.Now().In(a.location()).Format(paperpicks.DateLayout)
	} else if _, err := rank.ParseDate(date); err != nil {
		return err
	}
	if !dry && e.cfg.SMTP.Host == "" {
		return paperpicks.FieldErrorf("smtp.host", "smtp.host is not set, so no email can be sent; configure [smtp] or use --dry-run")
	}
	secret, err := a.secret(ctx)
	if err != nil {
		return err
	}
	var mailer digest.Mailer
	if !dry {
		if mailer, err = digest.NewSMTP(smtpConfig(e)); err != nil {
			return err
		}
	}
	s := digest.New(digestConfig(e, baseURL(e, e.cfg.HTTP.Addr), secret), a.store, mailer, a.log, time.Now)
	if dry {
		return a.printDigests(ctx, e, s, date, user)
	}
	var rep digest.Report
	if user != "" {
		rep, err = s.SendUser(ctx, user, date)
	} else {
		rep, err = s.SendDate(ctx, date)
	}
	if err != nil {
		return err
	}
	return report(e, rep, fmt.Sprintf("%s: %d sent, %d skipped (no picks), %d failed (retried later), %d given up, %d sent before, %d waiting",
		date, rep.Sent, rep.Skipped, rep.Failed, rep.GaveUp, rep.Done, rep.Waiting))
}

// printDigests writes the messages of date as they would be sent.
func (a *app) printDigests(ctx context.Context, e *env, s *digest.Sender, date, user string) error {
	ids := []string{user}
	if user == "" {
		us, err := a.store.ListUsers(ctx)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, u := range us {
			if u.Digest && u.Email != "" {
				ids = append(ids, u.ID)
			}
		}
	}
	printed := 0
	for _, id := range ids {
		msg, err := s.Preview(ctx, id, date)
		if paperpicks.IsCode(err, paperpicks.ENOTFOUND) && user == "" {
			continue // no picks that day
		}
		if err != nil {
			return err
		}
		if printed > 0 {
			fmt.Fprintln(e.stdout)
		}
		if _, err := msg.WriteTo(e.stdout); err != nil {
			return err
		}
		printed++
	}
	if printed == 0 {
		fmt.Fprintf(e.stderr, "no digest to print for %s\n", date)
	}
	return nil
}

// secretSetting is where the generated server secret is kept.
const secretSetting = "secret"

// secret is the configured secret, else the one kept in the store, made
// on the first start (32 random bytes) and shared by every instance.
func (a *app) secret(ctx context.Context) ([]byte, error) {
	if a.cfg.Secret != "" {
		return []byte(a.cfg.Secret), nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	return a.store.InitSetting(ctx, secretSetting, b)
}

func smtpConfig(e *env) digest.SMTPConfig {
	c := e.cfg.SMTP
	return digest.SMTPConfig{Host: c.Host, Port: c.Port, TLS: c.TLS, Username: c.Username, Password: c.Password, From: c.From, Timeout: c.Timeout}
}

func digestConfig(e *env, base string, secret []byte) digest.Config {
	return digest.Config{SMTP: smtpConfig(e), BaseURL: base, Secret: secret, Rate: e.cfg.Digest.Rate, MaxAttempts: e.cfg.Digest.MaxAttempts,
		RetryBackoff: e.cfg.Digest.RetryBackoff, LinkTTL: e.cfg.Digest.LinkTTL, LoginTTL: e.cfg.Web.LoginLinkTTL}
}

// webDeps are the reader pages' dependencies; the base URL and the mailer
// come once the listener is up (startDelivery).
func (a *app) webDeps(ctx context.Context, e *env) (*server.Web, error) {
	secret, err := a.secret(ctx)
	if err != nil {
		return nil, err
	}
	return &server.Web{Secret: secret, Store: a.store, SessionTTL: e.cfg.Web.SessionTTL, LoginTTL: e.cfg.Web.LoginLinkTTL}, nil
}

// startDelivery completes the web dependencies with the public URL and,
// when SMTP is configured, starts the digest sender: it sends after each
// daily run and resumes the due date every minute (retries, and batches a
// crash cut short). The returned func waits for it to stop after ctx ends.
func (a *app) startDelivery(ctx context.Context, e *env, web *server.Web, base string, sched *rank.Scheduler) (wait func()) {
	web.BaseURL = base
	if e.cfg.SMTP.Host == "" {
		a.log.Info("email is off: set smtp.host to send digests and sign-in links")
		return func() {}
	}
	mailer, err := digest.NewSMTP(smtpConfig(e))
	if err != nil { // Validate checked the settings
		a.log.Error("email is off", "err", err)
		return func() {}
	}
	s := digest.New(digestConfig(e, base, web.Secret), a.store, mailer, a.log, time.Now)
	if login, err := digest.NewSMTP(smtpConfig(e)); err == nil {
		s.LoginMailer = login
	}
	web.Mailer = s
	sched.AfterRun(func(_ context.Context, date string) error { s.Kick(date); return nil })
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, time.Minute, sched.DueDate)
	}()
	return func() { <-done }
}

// loginURL is a sign-in link to the picks page for a user ("" if the
// secret cannot be read).
func (a *app) loginURL(base, userID string) string {
	secret, err := a.secret(context.Background())
	if err != nil {
		return ""
	}
	return links.NewSigner(secret, links.Purpose).URL(base, links.Claims{Action: links.Login, UserID: userID, Expires: time.Now().Add(a.cfg.Web.LoginLinkTTL)})
}
