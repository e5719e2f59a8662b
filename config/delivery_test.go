package config

import (
	"testing"

	"github.com/paperpicks/paperpicks"
)

func TestDeliveryValidation(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		field string // "" for valid
	}{
		{"defaults: email off", nil, ""},
		{"a full SMTP setup", []string{"PAPERPICKS_SMTP_HOST=mail.example.org", "PAPERPICKS_SMTP_PORT=465", "PAPERPICKS_SMTP_TLS=tls",
			"PAPERPICKS_SMTP_USERNAME=pp", "PAPERPICKS_SMTP_PASSWORD=pw", "PAPERPICKS_SMTP_FROM=paperpicks <picks@example.org>"}, ""},
		{"a short secret", []string{"PAPERPICKS_SECRET=short"}, "secret"},
		{"a long secret", []string{"PAPERPICKS_SECRET=0123456789abcdef0123456789abcdef"}, ""},
		{"an unknown TLS mode", []string{"PAPERPICKS_SMTP_TLS=ssl"}, "smtp.tls"},
		{"port zero", []string{"PAPERPICKS_SMTP_PORT=0"}, "smtp.port"},
		{"a host without From", []string{"PAPERPICKS_SMTP_HOST=mail.example.org"}, "smtp.from"},
		{"a From that is no address", []string{"PAPERPICKS_SMTP_HOST=h", "PAPERPICKS_SMTP_FROM=nobody"}, "smtp.from"},
		{"a From with a line break", []string{"PAPERPICKS_SMTP_HOST=h", "PAPERPICKS_SMTP_FROM=a@b.org\r\nBcc: c@d.org"}, "smtp.host"},
		{"a negative rate", []string{"PAPERPICKS_DIGEST_RATE=-1"}, "digest.rate"},
		{"no attempts", []string{"PAPERPICKS_DIGEST_MAX_ATTEMPTS=0"}, "digest.max_attempts"},
		{"links that never work", []string{"PAPERPICKS_DIGEST_LINK_TTL=0s"}, "digest.link_ttl"},
		{"sessions that never last", []string{"PAPERPICKS_WEB_SESSION_TTL=0s"}, "web.session_ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env, Flags{"data": t.TempDir()})
			if tt.field == "" {
				if err != nil {
					t.Errorf("Load: %v", err)
				}
				return
			}
			if paperpicks.ErrorField(err) != tt.field {
				t.Errorf("Load error = %v (field %q), want field %q", err, paperpicks.ErrorField(err), tt.field)
			}
		})
	}
}
