// Package paperpicks holds the domain of the paper recommender: papers, users,
// their feedback and daily picks, and the coded error type every package returns.
//
// Subpackages depend on this one and never on each other upward: server → rank →
// index, embed, store → paperpicks.
package paperpicks

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Paper is one research paper in the catalog. ID is the canonical identity:
// for arXiv papers the arXiv id without version ("2401.12345", "hep-th/9901001").
type Paper struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Abstract   string    `json:"abstract"`
	Authors    []string  `json:"authors,omitempty"`
	URL        string    `json:"url,omitempty"`
	Published  time.Time `json:"published,omitzero"`
	Categories []string  `json:"categories,omitempty"`
	// Upvotes is what the source reported (Hugging Face daily papers), not our
	// users' thumbs; trending counts those separately.
	Upvotes int `json:"upvotes,omitempty"`
	// Source names where the paper came from: a format name or the fetched URL.
	Source string `json:"source,omitempty"`
	// AddedAt is when the paper first arrived in this catalog; the daily run's
	// candidate window is over AddedAt, not Published, because sources announce
	// papers days after their submission date.
	AddedAt   time.Time `json:"added_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Text is what an embedder sees: the title and the abstract.
func (p *Paper) Text() string {
	if p.Title == "" {
		return p.Abstract
	}
	return p.Title + "\n" + p.Abstract
}

// TextHash identifies the embedded text, so unchanged papers are never
// embedded twice.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:16])
}

// Vote is a user's judgement of a paper.
type Vote string

const (
	VoteUp   Vote = "up"
	VoteDown Vote = "down"
	VoteNone Vote = "none" // takes back an earlier up or down
)

// Valid reports whether v is one of the three votes.
func (v Vote) Valid() bool { return v == VoteUp || v == VoteDown || v == VoteNone }

// Feedback is one thumbs event. The store keeps every event (the log) beside
// each user's current vote per paper (the state).
type Feedback struct {
	UserID  string    `json:"user_id"`
	PaperID string    `json:"paper_id"`
	Value   Vote      `json:"value"`
	At      time.Time `json:"at"`
}

// User is a reader. The secret token is never part of User: only its hash
// is stored, and it is shown once, when the user is created.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email,omitempty"`
	TimeZone    string    `json:"time_zone"`
	PicksPerDay int       `json:"picks_per_day"`
	Digest      bool      `json:"digest"`
	CreatedAt   time.Time `json:"created_at"`
}

// PickKind says how a pick was chosen.
type PickKind string

const (
	PickPersonal PickKind = "personal" // ranked against the user's profile
	PickTrending PickKind = "trending" // cold start: liked by many users lately
	PickFilled   PickKind = "filled"   // too few new papers: a recent unseen one
)

// Pick is one paper chosen for a user on a date (YYYY-MM-DD in the user's
// time zone).
type Pick struct {
	UserID  string   `json:"user_id"`
	Date    string   `json:"date"`
	Rank    int      `json:"rank"`
	PaperID string   `json:"paper_id"`
	Score   float64  `json:"score"`
	Reason  string   `json:"reason,omitempty"` // id of the liked paper that explains it
	Kind    PickKind `json:"kind"`
}

// PickedPaperIDs is every paper that showing picks needs: each pick's
// paper and the liked paper that explains it.
func PickedPaperIDs(picks []Pick) []string {
	ids := make([]string, 0, 2*len(picks))
	for _, p := range picks {
		ids = append(ids, p.PaperID)
		if p.Reason != "" {
			ids = append(ids, p.Reason)
		}
	}
	return ids
}

// DateLayout is how dates of daily picks are written.
const DateLayout = "2006-01-02"
