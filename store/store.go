// Package store is the storage contract of paperpicks: the single source of
// truth for papers, their vectors, the fitted embedder, users, feedback,
// profiles and picks. Backends live in subpackages (sqlite, postgres) and
// pass one contract suite (storetest).
//
// Missing entities are reported as *paperpicks.Error with code ENOTFOUND,
// never as nil results.
package store

import (
	"context"
	"time"

	"github.com/paperpicks/paperpicks"
)

// Store is everything a backend provides. Consumers declare the narrower
// interfaces they need.
type Store interface {
	Catalog
	Embedders
	Users
	Feedbacks
	Picks
	Settings
	Digests
	Sessions
	Feeds
	Ping(ctx context.Context) error
	Close() error
}

// Catalog holds papers and their vectors, one vector per paper and space.
type Catalog interface {
	// PaperStates returns, for those ids that exist, the stored text hash
	// and whether a vector for space is stored.
	PaperStates(ctx context.Context, space string, ids []string) (map[string]PaperState, error)
	// UpsertPapers writes papers and their vectors for space in one
	// transaction and says per paper whether it was added, updated or
	// unchanged. A paper with a nil Vector keeps its stored vector (its
	// text did not change). AddedAt is set by the store on first insert.
	UpsertPapers(ctx context.Context, space string, papers []PaperVector, now time.Time) ([]Outcome, error)
	GetPaper(ctx context.Context, id string) (*paperpicks.Paper, error)
	// GetPapers returns the papers that exist, keyed by id.
	GetPapers(ctx context.Context, ids []string) (map[string]*paperpicks.Paper, error)
	CountPapers(ctx context.Context) (int, error)
	// ScanPapers calls fn for every paper in id order, in pages.
	ScanPapers(ctx context.Context, fn func(*paperpicks.Paper) error) error
	// ScanVectors calls fn for every paper that has a vector in space, in
	// id order. vec is only valid during the call.
	ScanVectors(ctx context.Context, space string, fn func(id string, addedAt time.Time, vec []float32) error) error
	// PutVectors stores vectors in space for existing papers (reindex).
	PutVectors(ctx context.Context, space string, vecs []IDVector) error
	// DropVectorsExcept deletes the vectors of every other space.
	DropVectorsExcept(ctx context.Context, space string) error
}

// PaperState is what the catalog needs to know about a stored paper to
// decide whether to embed it again.
type PaperState struct {
	TextHash  string
	HasVector bool
}

// PaperVector is a paper to upsert with its vector (nil: keep the stored one).
type PaperVector struct {
	Paper    paperpicks.Paper
	TextHash string
	Vector   []float32
}

// IDVector is a vector for a paper id.
type IDVector struct {
	ID       string
	TextHash string
	Vector   []float32
}

// Outcome of one upserted paper.
type Outcome string

const (
	Added     Outcome = "added"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
)

// Embedders persists fitted embedder states and the embedding cache.
type Embedders interface {
	// ActiveEmbedder returns the state marked active, ENOTFOUND if none.
	ActiveEmbedder(ctx context.Context, kind string) (*EmbedderState, error)
	// SaveEmbedder stores a state; activate makes it the active one of its
	// kind in the same transaction.
	SaveEmbedder(ctx context.Context, st *EmbedderState, activate bool) error
	// ActivateEmbedder makes a saved state the active one of its kind.
	ActivateEmbedder(ctx context.Context, kind, name string) error
	LoadEmbeddings(ctx context.Context, space string, hashes []string) (map[string][]float32, error)
	StoreEmbeddings(ctx context.Context, space string, vecs map[string][]float32) error
}

// EmbedderState is a fitted embedder as persisted.
type EmbedderState struct {
	Kind      string // "local"
	Name      string // the space it produces
	State     []byte
	FitDocs   int
	CreatedAt time.Time
}

// Users holds readers and their secrets (as hashes only).
type Users interface {
	// CreateUser stores u with the hash of its API token; a duplicate email
	// is ECONFLICT.
	CreateUser(ctx context.Context, u *paperpicks.User, tokenHash string) error
	GetUser(ctx context.Context, id string) (*paperpicks.User, error)
	// UserByTokenHash finds the user a token belongs to (ENOTFOUND if none).
	UserByTokenHash(ctx context.Context, tokenHash string) (*paperpicks.User, error)
	UpdateUser(ctx context.Context, u *paperpicks.User) error
	// DeleteUser removes the user with their feedback, profile and picks in
	// one transaction.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns every user in id order.
	ListUsers(ctx context.Context) ([]*paperpicks.User, error)
	// ImportUsers creates many users at once, each with its feedback log,
	// the current votes that log leaves, and its profile, in one
	// transaction (seeding from another system, benchmarks).
	ImportUsers(ctx context.Context, users []UserImport) error
}

// UserImport is one user to import with their history.
type UserImport struct {
	User      *paperpicks.User
	TokenHash string
	Log       []paperpicks.Feedback // in the order the votes were given
	Profile   *ProfileSums          // nil: none stored
}

// CurrentVotes replays a log into the votes it leaves: the last vote per
// paper wins and "none" removes it.
func CurrentVotes(log []paperpicks.Feedback) []Vote {
	pos := map[string]int{}
	var out []Vote
	for _, f := range log {
		i, ok := pos[f.PaperID]
		switch {
		case f.Value == paperpicks.VoteNone && ok:
			out[i].Value = paperpicks.VoteNone
		case f.Value == paperpicks.VoteNone:
		case ok && out[i].Value == f.Value:
		case ok:
			out[i] = Vote{PaperID: f.PaperID, Value: f.Value, At: f.At}
		default:
			pos[f.PaperID] = len(out)
			out = append(out, Vote{PaperID: f.PaperID, Value: f.Value, At: f.At})
		}
	}
	kept := out[:0]
	for _, v := range out {
		if v.Value != paperpicks.VoteNone {
			kept = append(kept, v)
		}
	}
	return kept
}

// Feedbacks holds the feedback log, each user's current votes, and the
// profile running sums derived from them.
type Feedbacks interface {
	// ApplyFeedback appends f to the log, updates the current vote and the
	// user's profile, all in one transaction that is durable when it
	// returns; concurrent calls for one user are serialized, so the log's
	// order is the order profiles saw the events. update receives the
	// previous vote of f's paper (nil if none), the stored profile (zero
	// valued, with Space empty, if none) to change in place, and, when that
	// profile is not in space, the user's whole log ending with f so the
	// profile can be rebuilt. changed reports whether the vote changed.
	// An unknown user or paper is ENOTFOUND.
	ApplyFeedback(ctx context.Context, f paperpicks.Feedback, space string, update func(prev *Vote, p *ProfileSums, rebuild []paperpicks.Feedback) error) (changed bool, err error)
	// Votes returns a user's current up and down votes, newest first.
	Votes(ctx context.Context, userID string) ([]Vote, error)
	// FeedbackLog returns a user's events in the order they were applied.
	FeedbackLog(ctx context.Context, userID string) ([]paperpicks.Feedback, error)
	// GetProfile returns a user's stored profile (ENOTFOUND if none).
	GetProfile(ctx context.Context, userID string) (*ProfileSums, error)
	// PutProfiles stores recomputed profiles, replacing what is stored.
	PutProfiles(ctx context.Context, profiles []*ProfileSums) error
	// ScanProfiles calls fn for every stored profile, in user id order.
	ScanProfiles(ctx context.Context, fn func(*ProfileSums) error) error
	// UpVotesSince sums, per paper, the current up votes given at or
	// after since (for trending): how many, and their weights
	// 2^(−age/halfLife) with age = now − the vote's time, at least 0 (each
	// 1 when halfLife ≤ 0). The store aggregates: a day of a big catalog
	// has millions of votes.
	UpVotesSince(ctx context.Context, since, now time.Time, halfLife time.Duration) (map[string]UpVotes, error)
	// ScanVotes calls fn once per user that has votes, in user id order,
	// with all their current votes.
	ScanVotes(ctx context.Context, fn func(userID string, votes []Vote) error) error
}

// UpVotes is a paper's recent up votes: how many, and their decayed sum.
type UpVotes struct {
	Votes int
	Score float64
}

// Vote is a user's current judgement of a paper.
type Vote struct {
	PaperID string
	Value   paperpicks.Vote
	At      time.Time
}

// ProfileSums are the running sums a profile is derived from: the sum of up
// vectors and of down vectors, each weighted by time decay relative to
// RefTime, and the summed weights.
type ProfileSums struct {
	UserID    string
	Space     string
	UpSum     []float32
	DownSum   []float32
	UpW       float64
	DownW     float64
	RefTime   time.Time
	UpdatedAt time.Time
}

// Picks holds the daily picks and the record of each daily run.
type Picks interface {
	// SavePicks stores picks for date in one transaction: each user's
	// undelivered picks for date are replaced; a user whose picks for
	// date were already delivered keeps them.
	SavePicks(ctx context.Context, date string, byUser map[string][]paperpicks.Pick) error
	// GetPicks returns a user's picks for date in rank order (ENOTFOUND
	// when the user has none for that date).
	GetPicks(ctx context.Context, userID, date string) ([]paperpicks.Pick, error)
	// ScanPicked calls fn once per user with picks before date, with every
	// paper ever picked for them before it.
	ScanPicked(ctx context.Context, before string, fn func(userID string, paperIDs []string) error) error
	// MarkDelivered records that a user's picks for date were delivered.
	MarkDelivered(ctx context.Context, userID, date string, at time.Time) error
	// StartRun records that the run for date began (replacing a failed or
	// stale record). The first start of a date fixes its cutoff; later
	// starts keep it, so a rerun sees the same candidates. It returns the
	// record as started.
	StartRun(ctx context.Context, date string, at, cutoff time.Time) (*Run, error)
	// FinishRun records the outcome of the run for r.Date.
	FinishRun(ctx context.Context, r *Run) error
	// GetRun returns the record of date's run (ENOTFOUND if none).
	GetRun(ctx context.Context, date string) (*Run, error)
}

// Run is the record of one daily run.
type Run struct {
	Date       string    `json:"date"`
	StartedAt  time.Time `json:"started_at"`
	Cutoff     time.Time `json:"cutoff"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Users      int       `json:"users"`
	Picks      int       `json:"picks"`
	Status     string    `json:"status"` // "running", "ok", "failed"
	Error      string    `json:"error,omitempty"`
}

// Settings holds small named values every instance shares, such as the
// server secret that signs email links.
type Settings interface {
	// GetSetting returns the value stored under name (ENOTFOUND if none).
	GetSetting(ctx context.Context, name string) ([]byte, error)
	// InitSetting stores value under name unless a value is stored already,
	// and returns the stored value: the first writer wins, so instances
	// starting together agree on it.
	InitSetting(ctx context.Context, name string, value []byte) ([]byte, error)
	// PutSetting stores value under name, replacing what is stored.
	PutSetting(ctx context.Context, name string, value []byte) error
}

// Digests records the sending of each user's daily email, one row per
// (user, date), so that sending is idempotent across crashes, restarts and
// instances: a sender claims the row, sends, then records the outcome.
type Digests interface {
	// ClaimDigest claims the send of userID's digest for date until
	// now+lease, and returns the record with claimed true, when the row is
	// new, failed with its next attempt due, or "sending" with an expired
	// lease (its holder died). Otherwise it returns the record unchanged
	// with claimed false. Each claim increments Attempts, which fences
	// FinishDigest. An unknown user is ENOTFOUND.
	ClaimDigest(ctx context.Context, userID, date string, now time.Time, lease time.Duration) (d *DigestSend, claimed bool, err error)
	// FinishDigest records the outcome of the claim d.Attempts: Status,
	// Error, SentAt, NextAttempt, MessageID. ECONFLICT when another claim
	// has taken the row since (the lease ran out).
	FinishDigest(ctx context.Context, d *DigestSend) error
	// DigestSends returns every record for date, in user id order.
	DigestSends(ctx context.Context, date string) ([]*DigestSend, error)
}

// Digest send statuses.
const (
	DigestSending = "sending" // claimed; the lease says until when
	DigestSent    = "sent"
	DigestFailed  = "failed"  // retried at NextAttempt
	DigestGaveUp  = "gave_up" // failed too often; not retried
	DigestSkipped = "skipped" // nothing to send (no picks, no address)
)

// DigestSend is the record of one user's digest for one date.
type DigestSend struct {
	UserID      string    `json:"user_id"`
	Date        string    `json:"date"`
	Status      string    `json:"status"`
	Attempts    int       `json:"attempts"`
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	MessageID   string    `json:"message_id,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// Sessions holds readers' web sign-ins. Only hashes of session tokens are
// stored, like API tokens.
type Sessions interface {
	// UserByEmail finds a user by address, compared lower-cased
	// (ENOTFOUND if none).
	UserByEmail(ctx context.Context, email string) (*paperpicks.User, error)
	// CreateSession stores a session; expired sessions are pruned on the way.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with tokenHash unless it expired by
	// now (ENOTFOUND then, and when there is none).
	GetSession(ctx context.Context, tokenHash string, now time.Time) (*Session, error)
	// DeleteSession ends a session; ending an unknown one is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Session is one signed-in browser.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Feeds holds each user's feed token (as a hash) and lists the dates a user
// has picks for.
type Feeds interface {
	// SetFeedToken makes tokenHash the user's only feed token, replacing
	// the previous one. An unknown user is ENOTFOUND.
	SetFeedToken(ctx context.Context, userID, tokenHash string, at time.Time) error
	// UserByFeedToken returns the id of the user whose feed token has
	// tokenHash (ENOTFOUND if none).
	UserByFeedToken(ctx context.Context, tokenHash string) (string, error)
	// PickDates returns the latest dates, at most limit, on or before
	// onOrBefore that the user has picks for, newest first.
	PickDates(ctx context.Context, userID, onOrBefore string, limit int) ([]string, error)
}

// Claimable reports whether a sender may claim d at now: it failed and its
// next attempt is due, or its claim's lease ran out (the holder died
// between claiming and recording the outcome).
func (d *DigestSend) Claimable(now time.Time) bool {
	switch d.Status {
	case DigestFailed:
		return !now.Before(d.NextAttempt)
	case DigestSending:
		return !now.Before(d.LeaseUntil)
	}
	return false
}
