package links

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
)

var now = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

func TestSignVerify(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), "email-link")
	good := Claims{Action: Up, UserID: "u_abc", PaperID: "hep-th/9901001", Expires: now.Add(time.Hour)}
	tok := s.Sign(good)
	if strings.ContainsAny(tok, "/+=?&#") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	forged := NewSigner([]byte("0123456789abcdef0123456789abcdef"), "email-link").Sign(Claims{Action: Down, UserID: "u_abc", PaperID: "hep-th/9901001", Expires: now.Add(time.Hour)})
	p, m, _ := strings.Cut(forged, ".")
	_, gm, _ := strings.Cut(tok, ".")
	tests := []struct {
		name    string
		signer  *Signer
		token   string
		at      time.Time
		code    string
		expired bool
	}{
		{"genuine", s, tok, now, "", false},
		{"expired", s, tok, now.Add(time.Hour), paperpicks.EFORBIDDEN, true},
		{"payload byte changed", s, flip(tok, 3), now, paperpicks.EINVALID, false},
		{"mac byte changed", s, flip(tok, len(tok)-2), now, paperpicks.EINVALID, false},
		{"other payload, old mac", s, p + "." + gm, now, paperpicks.EINVALID, false},
		{"other secret", NewSigner([]byte("another secret of 32 bytes......"), "email-link"), tok, now, paperpicks.EINVALID, false},
		{"other purpose", NewSigner([]byte("0123456789abcdef0123456789abcdef"), "login"), tok, now, paperpicks.EINVALID, false},
		{"no dot", s, strings.ReplaceAll(tok, ".", ""), now, paperpicks.EINVALID, false},
		{"empty", s, "", now, paperpicks.EINVALID, false},
		{"garbage", s, "%%%.***", now, paperpicks.EINVALID, false},
		{"truncated mac", s, p + "." + m[:10], now, paperpicks.EINVALID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.signer.Verify(tt.token, tt.at)
			if got := paperpicks.ErrorCode(err); got != tt.code {
				t.Fatalf("Verify error = %v (code %q), want code %q", err, got, tt.code)
			}
			if errors.Is(err, ErrExpired) != tt.expired {
				t.Errorf("expired = %v, want %v", errors.Is(err, ErrExpired), tt.expired)
			}
			if tt.code == "" && c != good {
				t.Errorf("claims = %+v, want %+v", c, good)
			}
		})
	}
	// A signed token with an unknown action is refused even though its MAC is right.
	if _, err := s.Verify(s.Sign(Claims{Action: "delete", UserID: "u", Expires: now.Add(time.Hour)}), now); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("unknown action: %v", err)
	}
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	secret := []byte("s")
	if string(Derive(secret, "a")) == string(Derive(secret, "b")) || len(Derive(secret, "a")) != 32 {
		t.Error("Derive does not separate purposes")
	}
}
