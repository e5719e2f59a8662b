// Package config is paperpicks' one configuration struct. Values come from
// defaults, then a TOML file, then PAPERPICKS_* environment variables, then
// command-line flags, and are checked by Validate. Every key is described
// once, in the struct tags below; the README table is generated from them
// (`paperpicks config --markdown`).
package config

import (
	"time"
)

// Config is every setting. Tags: toml is the file key (nested by section),
// flag the command-line flag when there is one, help the description.
type Config struct {
	Data       string `toml:"data" flag:"data" help:"data directory (SQLite file, logs)"`
	AdminToken string `toml:"admin_token" help:"token for admin routes (POST /v1/papers, /v1/admin/*); empty disables them" secret:"true"`
	Demo       bool   `toml:"demo" flag:"demo" help:"on first start with an empty data directory, load the sample catalog"`
	Secret     string `toml:"secret" help:"key that signs email links and web sessions (at least 32 characters); empty: generated once and kept in the store, shared by every instance" secret:"true"`
	// MemoryLimitMiB is Go's soft memory limit (runtime/debug.SetMemoryLimit):
	// the garbage collector works harder near it instead of letting the
	// heap double, which bounds the peak of a daily run.
	MemoryLimitMiB int64 `toml:"memory_limit_mib" help:"soft memory limit of the process in MiB: the garbage collector keeps the heap under it where it can (0: none, or GOMEMLIMIT)"`

	HTTP     HTTP     `toml:"http"`
	Store    Store    `toml:"store"`
	Embedder Embedder `toml:"embedder"`
	Ingest   Ingest   `toml:"ingest"`
	Rank     Rank     `toml:"rank"`
	// Sources are fetched on their own schedules and before each daily
	// run; they are set in the file only, as [[sources]] tables.
	Sources []Source `toml:"sources"`
	Log     Log      `toml:"log"`
	SMTP    SMTP     `toml:"smtp"`
	Digest  Digest   `toml:"digest"`
	Web     Web      `toml:"web"`
}

type HTTP struct {
	Addr         string        `toml:"addr" flag:"addr" help:"listen address"`
	BaseURL      string        `toml:"base_url" help:"public URL of the service, used in printed examples and links (default: from addr)"`
	MaxBodyBytes int64         `toml:"max_body_bytes" help:"largest request body accepted (413 beyond)"`
	ReadTimeout  time.Duration `toml:"read_timeout" help:"time to read a whole request"`
	WriteTimeout time.Duration `toml:"write_timeout" help:"time to write a response"`
	IdleTimeout  time.Duration `toml:"idle_timeout" help:"keep-alive idle time"`
	OpenSignup   bool          `toml:"open_signup" help:"let anyone create a user with POST /v1/users (otherwise the admin token is needed)"`
	// Rate limiting is per client: a bearer token, or an address without one.
	RateLimit      float64 `toml:"rate_limit" help:"requests per second each client (bearer token, else address) may send on average; 429 beyond; 0 disables"`
	RateBurst      int     `toml:"rate_burst" help:"requests a client may send at once before http.rate_limit applies"`
	TrustedProxies string  `toml:"trusted_proxies" help:"comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (empty: none)"`
}

type Store struct {
	Driver      string `toml:"driver" flag:"store" help:"sqlite (embedded, one file under data) or postgres"`
	Synchronous string `toml:"sqlite_synchronous" help:"SQLite synchronous pragma: FULL survives power loss, NORMAL only a process crash"`
	PostgresURL string `toml:"postgres_url" flag:"postgres-url" help:"PostgreSQL connection URL when driver is postgres" secret:"true"`
}

type Embedder struct {
	Kind        string  `toml:"kind" flag:"embedder" help:"local (offline, fitted on the catalog) or openai (any OpenAI-compatible /v1/embeddings)"`
	Dim         int     `toml:"dim" help:"local: dimensions of the LSA projection"`
	MaxVocab    int     `toml:"max_vocab" help:"local: most frequent words kept as features"`
	Bigrams     bool    `toml:"bigrams" help:"local: add adjacent word pairs as features"`
	MaxFitDocs  int     `toml:"max_fit_docs" help:"local: fit on at most this many papers (an even sample)"`
	FirstFit    int     `toml:"first_fit_docs" help:"local: an empty catalog's first fit waits for at most this many papers; refits follow as it grows"`
	RefitFactor float64 `toml:"refit_factor" help:"local: refit once the catalog has grown this many times past the last fit"`

	OpenAIBaseURL    string        `toml:"openai_base_url" help:"openai: endpoint base URL"`
	OpenAIKey        string        `toml:"openai_api_key" help:"openai: API key" secret:"true"`
	OpenAIModel      string        `toml:"openai_model" help:"openai: embedding model"`
	OpenAIDimensions int           `toml:"openai_dimensions" help:"openai: requested dimensions (0: the model's own)"`
	OpenAIBatch      int           `toml:"openai_batch_size" help:"openai: texts per request"`
	OpenAITimeout    time.Duration `toml:"openai_timeout" help:"openai: timeout per request"`
	OpenAIRetries    int           `toml:"openai_max_retries" help:"openai: retries on 429, 5xx and network errors"`
}

type Ingest struct {
	FetchTimeout  time.Duration `toml:"fetch_timeout" help:"URL sources: timeout per attempt and per stalled read"`
	FetchRetries  int           `toml:"fetch_retries" help:"URL sources: retries with backoff on network errors, 429 and 5xx"`
	MaxFetchBytes int64         `toml:"max_fetch_bytes" help:"URL and stdin sources: largest body read"`
	UserAgent     string        `toml:"user_agent" help:"URL sources: User-Agent header"`
}

type Rank struct {
	Strategy         string        `toml:"strategy" help:"profile strategy: how likes and dislikes become what papers are ranked against (see README)"`
	HalfLife         time.Duration `toml:"half_life" help:"votes lose half their weight in a profile after this long (0: never)"`
	Schedule         string        `toml:"schedule" help:"cron spec of the daily run (minute hour day month weekday)"`
	TimeZone         string        `toml:"time_zone" help:"IANA time zone the schedule is read in; picks are dated in it"`
	Window           time.Duration `toml:"window" help:"papers that arrived this long before the run are its candidates"`
	Diversity        float64       `toml:"diversity" help:"MMR weight of novelty among a user's picks, in [0, 1) (0: by score alone)"`
	TrendingDays     int           `toml:"trending_days" help:"trending counts thumbs-up of the last this many days"`
	TrendingHalfLife time.Duration `toml:"trending_half_life" help:"a thumbs-up counts half as much for trending after this long"`
	RetryAfter       time.Duration `toml:"retry_after" help:"a failed daily run is retried after this long"`
}

type Log struct {
	Level  string `toml:"level" flag:"log-level" help:"debug, info, warn or error"`
	Format string `toml:"format" help:"text or json"`
}

// SMTP is the mail server digests and sign-in links go through.
type SMTP struct {
	Host     string        `toml:"host" help:"SMTP server; empty disables email (digests and sign-in links)"`
	Port     int           `toml:"port" help:"SMTP port (587: submission with starttls, 465: tls, 25: none)"`
	TLS      string        `toml:"tls" help:"none, starttls (required, not opportunistic) or tls (implicit TLS from the first byte)"`
	Username string        `toml:"username" help:"SMTP auth user; empty: no authentication"`
	Password string        `toml:"password" help:"SMTP auth password" secret:"true"`
	From     string        `toml:"from" help:"From address of every email, e.g. paperpicks <picks@example.org>"`
	Timeout  time.Duration `toml:"timeout" help:"time to connect and to send one message"`
}

// Digest shapes the daily email.
type Digest struct {
	Rate         float64       `toml:"rate" help:"messages sent per second at most, per instance (0: no limit)"`
	MaxAttempts  int           `toml:"max_attempts" help:"a digest that failed this many times is given up"`
	RetryBackoff time.Duration `toml:"retry_backoff" help:"wait before retrying a failed digest; doubles with each attempt"`
	LinkTTL      time.Duration `toml:"link_ttl" help:"how long the thumbs and more-like-this links in a digest work"`
}

// Web shapes the readers' web page.
type Web struct {
	SessionTTL   time.Duration `toml:"session_ttl" help:"how long a web sign-in lasts"`
	LoginLinkTTL time.Duration `toml:"login_link_ttl" help:"how long a mailed sign-in link works"`
}

// Source is a paper source the scheduler fetches.
type Source struct {
	URL      string `toml:"url"`
	Format   string `toml:"format"`
	Schedule string `toml:"schedule"`
}

// Default returns the embedded defaults: SQLite, the local embedder.
func Default() Config {
	return Config{
		Data: "./data",
		Demo: true,
		HTTP: HTTP{
			Addr: "127.0.0.1:8080", MaxBodyBytes: 32 << 20,
			ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
			RateBurst: 20,
		},
		Store: Store{Driver: "sqlite", Synchronous: "FULL"},
		Embedder: Embedder{
			Kind: "local", Dim: 512, MaxVocab: 40000, MaxFitDocs: 60000, FirstFit: 10000, RefitFactor: 2,
			OpenAIBaseURL: "https://api.openai.com/v1", OpenAIModel: "text-embedding-3-small",
			OpenAIBatch: 64, OpenAITimeout: 30 * time.Second, OpenAIRetries: 4,
		},
		Ingest: Ingest{FetchTimeout: 30 * time.Second, FetchRetries: 3, MaxFetchBytes: 512 << 20,
			UserAgent: "paperpicks/0.1 (+https://github.com/paperpicks/paperpicks)"},
		Rank: Rank{Strategy: "learned", Schedule: "0 6 * * *", TimeZone: "UTC", Window: 24 * time.Hour,
			TrendingDays: 7, TrendingHalfLife: 72 * time.Hour, RetryAfter: 5 * time.Minute},
		Log:    Log{Level: "info", Format: "text"},
		SMTP:   SMTP{Port: 587, TLS: "starttls", Timeout: 30 * time.Second},
		Digest: Digest{Rate: 10, MaxAttempts: 5, RetryBackoff: time.Minute, LinkTTL: 30 * 24 * time.Hour},
		Web:    Web{SessionTTL: 30 * 24 * time.Hour, LoginLinkTTL: 24 * time.Hour},
	}
}
