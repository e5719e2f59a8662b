// Package digest renders each reader's daily email (HTML and plain text)
// and sends it over SMTP, once per (user, date).
//
// # Sending exactly once, and the one window where it cannot be
//
// Every send goes through a record per (user, date) in the store
// (store.Digests): claim, then send, then record the outcome.
//
//   - Claim: ClaimDigest atomically marks the row "sending" with a lease
//     (four SMTP timeouts). A second sender — another worker, another
//     instance, a rerun — sees the lease and leaves the user alone.
//   - The picks are marked delivered (store.MarkDelivered) before they are
//     read, so a rerun of the daily run can no longer replace what the
//     message shows.
//   - Send, then FinishDigest records "sent" (or "failed" with the time of
//     the next attempt, doubling the backoff each time, or "gave_up" after
//     digest.max_attempts or a permanent 5xx refusal). Its update is fenced
//     by the attempt number, so a sender whose lease ran out cannot
//     overwrite a newer claim.
//
// A crash or restart mid-batch therefore skips nobody: users without a
// record are sent on the next pass (the sender resumes the due date at
// start and every minute), failed ones when their retry is due, and a
// claim whose holder died is taken over once its lease ran out.
//
// The one window that cannot be closed without a two-phase commit with the
// SMTP server is between the server's "250 OK" for a message and the commit
// of "sent" — a few milliseconds per message. A crash exactly there leaves
// the row "sending"; once the lease ran out the message is sent again. We
// chose at-least-once over at-most-once for that window (a lost digest is
// worse than a repeated one) and make the repeat harmless: the Message-ID
// is derived from (user, date), so both copies are the same message, which
// mail stores and clients fold into one. Shutdown never opens the window:
// the claim-send-record section runs to its end even when the context is
// cancelled, bounded by the SMTP timeout.
package digest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/store"
)

// Config shapes the digest.
type Config struct {
	SMTP    SMTPConfig
	BaseURL string // public URL of the service; links point there
	Secret  []byte // the server secret links are signed with
	// Rate is how many messages per second this instance sends at most
	// (0: no limit).
	Rate         float64
	MaxAttempts  int           // a digest failing this often is given up
	RetryBackoff time.Duration // before the 2nd attempt; doubles after
	LinkTTL      time.Duration // thumbs, more like this (unsubscribe: a year at least)
	LoginTTL     time.Duration // the sign-in link
}

// Store is what the sender reads and writes.
type Store interface {
	store.Digests
	ListUsers(ctx context.Context) ([]*paperpicks.User, error)
	GetUser(ctx context.Context, id string) (*paperpicks.User, error)
	GetPicks(ctx context.Context, userID, date string) ([]paperpicks.Pick, error)
	GetPapers(ctx context.Context, ids []string) (map[string]*paperpicks.Paper, error)
	MarkDelivered(ctx context.Context, userID, date string, at time.Time) error
	GetRun(ctx context.Context, date string) (*store.Run, error)
}

// Sender composes and sends digests and sign-in mails.
type Sender struct {
	cfg     Config
	store   Store
	mailer  Mailer
	links   *links.Signer
	log     *slog.Logger
	now     func() time.Time
	limiter *rate.Limiter

	// LoginMailer sends sign-in mails (default: the digest's mailer); a
	// mailer of its own keeps them from queueing behind a batch.
	LoginMailer Mailer

	mu     sync.Mutex // one batch at a time
	doneMu sync.Mutex
	done   map[string]bool // dates whose every digest is final
	kick   chan string
}

// New returns a sender; mailer is where messages go (NewSMTP for the
// configured server), now the clock (time.Now when nil).
func New(cfg Config, st Store, mailer Mailer, log *slog.Logger, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	if cfg.MaxAttempts < 1 {
		cfg.MaxAttempts = 5
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Minute
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = 30 * 24 * time.Hour
	}
	if cfg.LoginTTL <= 0 {
		cfg.LoginTTL = 24 * time.Hour
	}
	if cfg.SMTP.Timeout <= 0 {
		cfg.SMTP.Timeout = 30 * time.Second
	}
	lim := rate.NewLimiter(rate.Inf, 1)
	if cfg.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}
	return &Sender{cfg: cfg, store: st, mailer: mailer, links: links.NewSigner(cfg.Secret, links.Purpose), log: log, now: now,
		limiter: lim, done: map[string]bool{}, kick: make(chan string, 8), LoginMailer: mailer}
}

// lease is how long a claim keeps other senders off: long enough to
// compose and send one message.
func (s *Sender) lease() time.Duration {
	return max(4*s.cfg.SMTP.Timeout, time.Minute)
}
