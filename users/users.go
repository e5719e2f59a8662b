// Package users creates and authenticates readers. A user's API token is
// random, shown once at creation, and stored only as a SHA-256 hash: a
// stolen database does not yield working tokens, and the tokens' 256 bits
// of entropy make a slow password hash unnecessary.
package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// Limits on user settings.
const (
	MaxPicksPerDay     = 50
	DefaultPicksPerDay = 10
	MaxEmail           = 254
)

// Service manages users over a store.
type Service struct {
	store store.Users
	now   func() time.Time
}

// New returns a user service; now is the clock (time.Now when nil).
func New(st store.Users, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now}
}

// Settings are the fields a user may set; nil leaves a field as it is (or
// at its default on creation).
type Settings struct {
	Email       *string `json:"email"`
	TimeZone    *string `json:"time_zone"`
	PicksPerDay *int    `json:"picks_per_day"`
	Digest      *bool   `json:"digest"`
}

// apply validates s and writes it into u.
func (s Settings) apply(u *paperpicks.User) error {
	if s.Email != nil {
		e, err := CleanEmail(*s.Email)
		if err != nil {
			return err
		}
		u.Email = e
	}
	if s.TimeZone != nil {
		tz := strings.TrimSpace(*s.TimeZone)
		if tz == "" {
			tz = "UTC"
		}
		if _, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "local") {
			return paperpicks.FieldErrorf("time_zone", "time_zone %q is not an IANA time zone name like Europe/Berlin", *s.TimeZone)
		}
		u.TimeZone = tz
	}
	if s.PicksPerDay != nil {
		if *s.PicksPerDay < 1 || *s.PicksPerDay > MaxPicksPerDay {
			return paperpicks.FieldErrorf("picks_per_day", "picks_per_day must be between 1 and %d, got %d", MaxPicksPerDay, *s.PicksPerDay)
		}
		u.PicksPerDay = *s.PicksPerDay
	}
	if s.Digest != nil {
		u.Digest = *s.Digest
	}
	return nil
}

// CleanEmail validates an address and returns it lower-cased ("" stays "").
func CleanEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > MaxEmail || strings.ContainsAny(e, "\r\n") || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return "", paperpicks.FieldErrorf("email", "email %q is not a valid address like ada@example.org", e)
	}
	return strings.ToLower(e), nil
}

// Create makes a user and returns it with its token, the only time the
// token is ever available.
func (s *Service) Create(ctx context.Context, set Settings) (*paperpicks.User, string, error) {
	u := &paperpicks.User{ID: NewID(), TimeZone: "UTC", PicksPerDay: DefaultPicksPerDay, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := set.apply(u); err != nil {
		return nil, "", err
	}
	if set.Digest == nil {
		u.Digest = u.Email != ""
	}
	token := NewToken()
	if err := s.store.CreateUser(ctx, u, HashToken(token)); err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// Update changes a user's settings.
func (s *Service) Update(ctx context.Context, id string, set Settings) (*paperpicks.User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := set.apply(u); err != nil {
		return nil, err
	}
	return u, s.store.UpdateUser(ctx, u)
}

// Get returns a user.
func (s *Service) Get(ctx context.Context, id string) (*paperpicks.User, error) {
	return s.store.GetUser(ctx, id)
}

// Delete erases a user with their feedback, profile and picks.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.DeleteUser(ctx, id)
}

// Authenticate returns the user a token belongs to, EUNAUTHORIZED if none.
// The store looks the user up by the token's SHA-256, never by the token:
// how long that comparison takes can only reveal bytes of a hash, which
// say nothing about the token (the admin token, compared in memory, goes
// through crypto/subtle instead).
func (s *Service) Authenticate(ctx context.Context, token string) (*paperpicks.User, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, paperpicks.Errorf(paperpicks.EUNAUTHORIZED, "unknown token")
	}
	h := HashToken(token)
	u, err := s.store.UserByTokenHash(ctx, h)
	if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		return nil, paperpicks.Errorf(paperpicks.EUNAUTHORIZED, "unknown token")
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

const tokenPrefix = "pp_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns a fresh secret: "pp_" and 256 random bits.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return tokenPrefix + strings.ToLower(b32.EncodeToString(b))
}

// NewID returns a fresh user id: "u_" and 80 random bits.
func NewID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "u_" + strings.ToLower(b32.EncodeToString(b))
}

// HashToken is what the store keeps of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
