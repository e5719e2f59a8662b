package server

import (
	"container/list"
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/paperpicks/paperpicks"
)

// maxLimiters bounds how many clients' buckets are kept (a few hundred
// bytes each, so under 20 MB in all). Past it the least recently seen
// client's bucket is dropped, so a flood of new addresses or tokens cannot
// grow memory without bound; the dropped client starts again with a full
// bucket.
const maxLimiters = 1 << 16

// unlimitedPaths are never limited: probes and scrapers must see the
// service even while it sheds load.
var unlimitedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// limits returns the middleware that caps every request body at
// cfg.MaxBodyBytes (handlers that read one answer 413 beyond; forms see
// an empty one) and limits each client to cfg.RateLimit requests per
// second with bursts of cfg.RateBurst (no limit when cfg.RateLimit is 0).
// A client is the bearer token it sends (by hash), else its address (IPv6
// by /64, which one host usually holds whole). The admin token is not
// limited. Requests with a token that turns out unknown (401) also count
// against their address, so cycling made-up tokens does not escape the
// limit. An over-limit request is 429 rate_limited with Retry-After.
//
// The address is the connection's, unless it is one of
// cfg.TrustedProxies: then it is the client that proxy names in
// X-Forwarded-For or X-Real-IP.
func (s *Server) limits() gin.HandlerFunc {
	// nil trusts no proxy: gin would otherwise believe any client's
	// X-Forwarded-For. Config has validated the list.
	if err := s.router.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		s.log.Error("invalid trusted proxies; trusting none", "err", err)
		_ = s.router.SetTrustedProxies(nil)
	}
	capBody := func(c *gin.Context) {
		if s.cfg.MaxBodyBytes > 0 && c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
		}
	}
	if s.cfg.RateLimit <= 0 {
		return func(c *gin.Context) { capBody(c); c.Next() }
	}
	l := newClientLimiter(s.cfg.RateLimit, s.cfg.RateBurst, maxLimiters, time.Now)
	return func(c *gin.Context) {
		capBody(c)
		if unlimitedPaths[c.FullPath()] {
			c.Next()
			return
		}
		tok := bearer(c)
		if tok != "" && s.isAdmin(c) {
			c.Next()
			return
		}
		addr := addrKey(c.ClientIP())
		key := addr
		if tok != "" {
			sum := sha256.Sum256([]byte(tok))
			key = "t:" + string(sum[:16])
			// An address that sent too many unknown tokens waits too.
			if wait := l.wait("f:" + addr); wait > 0 {
				tooMany(c, wait, s.cfg.RateLimit)
				return
			}
		}
		if wait := l.take(key); wait > 0 {
			tooMany(c, wait, s.cfg.RateLimit)
			return
		}
		c.Next()
		if tok != "" && unauthorized(c) {
			l.take("f:" + addr)
		}
	}
}

// addrKey is the limiter key of a client address: IPv4 whole, IPv6 by
// its /64 prefix.
func addrKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return "a:" + ip
	}
	if v4 := parsed.To4(); v4 != nil {
		return "a:" + v4.String()
	}
	return "a:" + parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// unauthorized reports whether the request failed for want of a valid
// token; the error is not written yet (errorsMiddleware runs outside).
func unauthorized(c *gin.Context) bool {
	if c.Writer.Status() == http.StatusUnauthorized {
		return true
	}
	return len(c.Errors) > 0 && paperpicks.IsCode(c.Errors[0].Err, paperpicks.EUNAUTHORIZED)
}

func tooMany(c *gin.Context, wait time.Duration, perSec float64) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	abort(c, paperpicks.Errorf(paperpicks.ERATELIMIT, "too many requests (limit %g per second); retry after %d s", perSec, secs))
}

// clientLimiter keeps one token bucket per client key in a bounded LRU.
// A bucket idle long enough to have refilled is the same as a new one, so
// such buckets are dropped as they come to the end of the list.
type clientLimiter struct {
	limit rate.Limit
	burst int
	max   int
	idle  time.Duration // after this long unused a bucket is full again
	now   func() time.Time

	mu    sync.Mutex
	byKey map[string]*list.Element
	lru   *list.List // of *bucket, most recently used first
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// newClientLimiter allows perSec requests per second per key, bursts of
// burst (at least 1), and keeps at most maxKeys buckets.
func newClientLimiter(perSec float64, burst, maxKeys int, now func() time.Time) *clientLimiter {
	burst = max(1, burst)
	return &clientLimiter{
		limit: rate.Limit(perSec), burst: burst, max: max(1, maxKeys), now: now,
		idle:  time.Duration(float64(burst) / perSec * float64(time.Second)),
		byKey: map[string]*list.Element{}, lru: list.New(),
	}
}

// take spends one token of key's bucket. It returns 0 when there was one,
// else how long until there will be (and spends nothing).
func (l *clientLimiter) take(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	b := l.get(key, now)
	l.mu.Unlock()
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// wait returns how long until key's bucket has a token (0: it has one),
// without spending it.
func (l *clientLimiter) wait(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byKey[key]
	if !ok {
		return 0
	}
	b := e.Value.(*bucket)
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	}
	return 0
}

// get returns key's bucket, making it the most recent (l.mu held).
func (l *clientLimiter) get(key string, now time.Time) *bucket {
	if e, ok := l.byKey[key]; ok {
		l.lru.MoveToFront(e)
		b := e.Value.(*bucket)
		b.seen = now
		return b
	}
	for back := l.lru.Back(); back != nil; back = l.lru.Back() {
		b := back.Value.(*bucket)
		if l.lru.Len() < l.max && now.Sub(b.seen) < l.idle {
			break
		}
		l.lru.Remove(back)
		delete(l.byKey, b.key)
	}
	b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), seen: now}
	l.byKey[key] = l.lru.PushFront(b)
	return b
}

// len is the number of buckets kept.
func (l *clientLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
