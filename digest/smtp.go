package digest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/paperpicks/paperpicks"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      string // "none", "starttls" (required) or "tls" (implicit)
	Username string // empty: no authentication
	Password string
	From     string
	Timeout  time.Duration
	// TLSConfig overrides the default (system roots, ServerName = Host);
	// tests use it to trust their own server.
	TLSConfig *tls.Config
}

// Mailer delivers messages.
type Mailer interface {
	Send(ctx context.Context, msg *mail.Msg) error
	// Close ends any open connection; the next Send opens a new one.
	Close() error
}

// SMTP is a Mailer over one reused connection to the configured server:
// it dials on the first Send, keeps the connection for the next ones
// (one NOOP checks it before each), and drops it on any error, so the
// next Send dials afresh.
type SMTP struct {
	mu     sync.Mutex
	client *mail.Client
	open   bool
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP returns a mailer for cfg. "none" with a username sends the
// password in clear (PLAIN); it is meant for a relay on localhost.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, paperpicks.FieldErrorf("smtp.host", "smtp.host is not set: email is disabled")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(cfg.Port), mail.WithTimeout(cfg.Timeout)}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	switch cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "starttls", "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tc))
	case "tls":
		opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tc))
	default:
		return nil, paperpicks.FieldErrorf("smtp.tls", "smtp.tls must be none, starttls or tls, got %q", cfg.TLS)
	}
	if cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if cfg.TLS == "none" {
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "SMTP settings")
	}
	return &SMTP{client: c}, nil
}

// Send delivers msg over the open connection, dialing first if needed.
func (m *SMTP) Send(ctx context.Context, msg *mail.Msg) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.open {
		if err := m.client.DialWithContext(ctx); err != nil {
			return paperpicks.WrapError(paperpicks.EUNAVAILABLE, err, "cannot reach the SMTP server")
		}
		m.open = true
	}
	if err := m.client.Send(msg); err != nil {
		m.client.Close()
		m.open = false
		return err
	}
	return nil
}

// Close quits the open connection, if any.
func (m *SMTP) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.open {
		return nil
	}
	m.open = false
	return m.client.Close()
}

// permanent reports an SMTP refusal that retrying will not change (5xx).
func permanent(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		return !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}

// describe is err for the record: short and without line breaks.
func describe(err error) string {
	s := fmt.Sprint(err)
	if len(s) > 500 {
		s = s[:500]
	}
	out := []rune{}
	for _, r := range s {
		if r == '\r' || r == '\n' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
