package config

import (
	"net/mail"
	"strings"

	"github.com/paperpicks/paperpicks"
)

// validateDelivery checks the secret and the smtp, digest and web sections.
func (c *Config) validateDelivery() error {
	bad := func(key, format string, args ...any) error {
		return paperpicks.FieldErrorf(key, key+": "+format, args...)
	}
	switch {
	case c.Secret != "" && len(c.Secret) < 32:
		return bad("secret", "must be at least 32 characters (or empty to generate one), got %d", len(c.Secret))
	case c.SMTP.Port < 1 || c.SMTP.Port > 65535:
		return bad("smtp.port", "must be in [1, 65535], got %d", c.SMTP.Port)
	case c.SMTP.TLS != "none" && c.SMTP.TLS != "starttls" && c.SMTP.TLS != "tls":
		return bad("smtp.tls", "must be none, starttls or tls, got %q", c.SMTP.TLS)
	case c.SMTP.Timeout <= 0:
		return bad("smtp.timeout", "must be positive")
	case strings.ContainsAny(c.SMTP.Host+c.SMTP.Username+c.SMTP.From, "\r\n"):
		return bad("smtp.host", "SMTP settings must not contain line breaks")
	case c.SMTP.Host != "" && c.SMTP.From == "":
		return bad("smtp.from", "is required when smtp.host is set")
	case c.Digest.Rate < 0:
		return bad("digest.rate", "must not be negative, got %g", c.Digest.Rate)
	case c.Digest.MaxAttempts < 1:
		return bad("digest.max_attempts", "must be at least 1, got %d", c.Digest.MaxAttempts)
	case c.Digest.RetryBackoff <= 0:
		return bad("digest.retry_backoff", "must be positive")
	case c.Digest.LinkTTL <= 0:
		return bad("digest.link_ttl", "must be positive")
	case c.Web.SessionTTL <= 0:
		return bad("web.session_ttl", "must be positive")
	case c.Web.LoginLinkTTL <= 0:
		return bad("web.login_link_ttl", "must be positive")
	}
	if c.SMTP.From != "" {
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			return bad("smtp.from", "%q is not an address like paperpicks <picks@example.org>", c.SMTP.From)
		}
	}
	return nil
}
