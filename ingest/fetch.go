package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// FetchOptions tune Open. The zero value is ready to use.
type FetchOptions struct {
	Client *http.Client // nil: a plain client; its Timeout should be 0, as a whole-body deadline would cut big downloads
	// Timeout bounds each attempt until the response headers arrive, and
	// then every wait for more of the body (default 30s). A stalled
	// download fails; a slow but moving one does not.
	Timeout time.Duration
	Retries int           // retries after the first attempt (default 3; negative: none)
	Backoff time.Duration // first wait between attempts, doubling, with jitter (default 500ms)
	// MaxWait caps one wait between attempts, including a server's
	// Retry-After on 429 and 503 (default 1m).
	MaxWait   time.Duration
	UserAgent string // default "paperpicks/0.1 (+https://github.com/paperpicks/paperpicks)"
	// MaxBytes bounds what a URL or stdin may deliver (default 512 MiB;
	// negative: no bound). Local files are not bounded: their size is
	// known and the operator chose them, and the arXiv snapshot is GBs.
	MaxBytes int64
	Stdin    io.Reader // read for "-" (default os.Stdin)
}

const defaultUserAgent = "paperpicks/0.1 (+https://github.com/paperpicks/paperpicks)"

func (o *FetchOptions) withDefaults() FetchOptions {
	c := *o
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 3
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxWait <= 0 {
		c.MaxWait = time.Minute
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 512 << 20
	}
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	return c
}

// Open opens a source: "-" for stdin, an http(s) URL, or a file path. It
// returns the reader, the name to show and to detect the format by (the
// file path, the URL without credentials, or "stdin"), and the size in
// bytes, -1 if unknown.
//
// A URL is fetched with retries on network errors, 429 and 5xx, not on
// other 4xx. Retries happen only before the body is returned; a download
// that breaks midway fails, as resuming would need the server's help.
// Errors are *paperpicks.Error: EINVALID for a bad path, a 4xx or an
// unsupported source, EUNAVAILABLE for network trouble or 5xx after the
// retries, ETOOLARGE (from the reader) past MaxBytes.
func Open(ctx context.Context, source string, opt FetchOptions) (rc io.ReadCloser, name string, size int64, err error) {
	o := opt.withDefaults()
	switch {
	case source == "-":
		return io.NopCloser(limit(o.Stdin, o.MaxBytes, "stdin")), "stdin", -1, nil
	case strings.TrimSpace(source) == "":
		return nil, "", 0, paperpicks.FieldErrorf("source", "no source given")
	case hasScheme(source, "http") || hasScheme(source, "https"):
		return openURL(ctx, source, &o)
	case strings.Contains(source, "://"):
		return nil, source, 0, paperpicks.FieldErrorf("source", "cannot open %s: only http and https URLs are supported", source)
	}
	return openFile(source)
}

func hasScheme(s, scheme string) bool {
	_, ok := cutPrefixFold(s, scheme+"://")
	return ok
}

func openFile(path string) (io.ReadCloser, string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		var why string
		switch {
		case errors.Is(err, os.ErrNotExist):
			why = "no such file"
		case errors.Is(err, os.ErrPermission):
			why = "permission denied"
		default:
			why = "cannot open it"
		}
		return nil, path, 0, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot read %s: %s", path, why)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, path, 0, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot read %s", path)
	}
	if st.IsDir() {
		f.Close()
		return nil, path, 0, paperpicks.Errorf(paperpicks.EINVALID, "cannot read %s: it is a directory", path)
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, path, size, nil
}

// errAttemptTimeout is the cancel cause of an attempt that ran out of time.
var errAttemptTimeout = errors.New("timed out")

func openURL(ctx context.Context, raw string, o *FetchOptions) (io.ReadCloser, string, int64, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, raw, 0, paperpicks.FieldErrorf("source", "invalid URL %q", truncate(raw, 200))
	}
	name := u.Redacted()
	backoff := o.Backoff
	var lastErr *paperpicks.Error
	for attempt := 0; ; attempt++ {
		body, size, retryAfter, err := fetchOnce(ctx, u, name, o)
		if err == nil {
			return body, name, size, nil
		}
		if ctx.Err() != nil {
			return nil, name, 0, fmt.Errorf("fetching %s: %w", name, ctx.Err())
		}
		if !isRetryable(err) || attempt >= o.Retries {
			if isRetryable(err) && o.Retries > 0 {
				err.Message += fmt.Sprintf(" (after %d attempts)", attempt+1)
			}
			return nil, name, 0, err
		}
		lastErr = err
		wait := backoff/2 + rand.N(backoff/2+1) // "equal jitter": spreads clients, keeps the floor
		if retryAfter > wait {
			wait = retryAfter
		}
		wait = min(wait, o.MaxWait)
		backoff = min(backoff*2, o.MaxWait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, name, 0, fmt.Errorf("fetching %s: %w (last: %v)", name, ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

// retryable marks the errors of one attempt worth another try.
func isRetryable(err *paperpicks.Error) bool { return err.Code == paperpicks.EUNAVAILABLE }

// fetchOnce makes one GET. On success the body is wrapped to keep the idle
// timeout and MaxBytes; retryAfter is the server's requested wait on 429/503.
func fetchOnce(ctx context.Context, u *url.URL, name string, o *FetchOptions) (body io.ReadCloser, size int64, retryAfter time.Duration, err *paperpicks.Error) {
	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(o.Timeout, func() { cancel(errAttemptTimeout) })
	req, rerr := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if rerr != nil {
		timer.Stop()
		cancel(nil)
		return nil, 0, 0, paperpicks.WrapError(paperpicks.EINVALID, rerr, "invalid URL %s", name)
	}
	req.Header.Set("User-Agent", o.UserAgent)
	resp, derr := o.Client.Do(req)
	if derr != nil {
		timer.Stop()
		cause := context.Cause(actx)
		cancel(nil)
		if errors.Is(cause, errAttemptTimeout) {
			return nil, 0, 0, paperpicks.WrapError(paperpicks.EUNAVAILABLE, derr, "fetching %s: no response within %s", name, o.Timeout)
		}
		return nil, 0, 0, paperpicks.WrapError(paperpicks.EUNAVAILABLE, derr, "fetching %s failed", name)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		timer.Stop()
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		resp.Body.Close()
		cancel(nil)
		code := paperpicks.EINVALID
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			code = paperpicks.EUNAVAILABLE
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			retryAfter = 0
		}
		return nil, 0, retryAfter, paperpicks.Errorf(code, "fetching %s: HTTP %s", name, resp.Status)
	}
	if o.MaxBytes > 0 && resp.ContentLength > o.MaxBytes {
		timer.Stop()
		resp.Body.Close()
		cancel(nil)
		return nil, 0, 0, paperpicks.Errorf(paperpicks.ETOOLARGE, "%s is %d bytes, more than the limit of %d", name, resp.ContentLength, o.MaxBytes)
	}
	if !timer.Stop() { // the headers came just as the attempt timed out
		resp.Body.Close()
		cancel(nil)
		return nil, 0, 0, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "fetching %s: no response within %s", name, o.Timeout)
	}
	timer.Reset(o.Timeout)
	b := &idleBody{rc: resp.Body, timer: timer, timeout: o.Timeout, ctx: actx, cancel: cancel, name: name}
	return &readCloser{Reader: limit(b, o.MaxBytes, name), Closer: b}, resp.ContentLength, 0, nil
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// idleBody fails a body read that waits longer than timeout for data.
type idleBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelCauseFunc
	name    string
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.timeout)
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), errAttemptTimeout) {
		return n, paperpicks.WrapError(paperpicks.EUNAVAILABLE, err, "reading %s: no data for %s", b.name, b.timeout)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

type readCloser struct {
	io.Reader
	io.Closer
}

// limit bounds r to max bytes (max <= 0: no bound). The read that would go
// past it fails with ETOOLARGE, so a parser stops instead of filling up.
func limit(r io.Reader, max int64, name string) io.Reader {
	if max <= 0 {
		return r
	}
	return &limitReader{r: r, left: max, max: max, name: name}
}

type limitReader struct {
	r    io.Reader
	left int64
	max  int64
	name string
	err  error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) <= l.left {
		l.left -= int64(n)
		return n, err
	}
	n = int(l.left)
	l.left = 0
	l.err = paperpicks.Errorf(paperpicks.ETOOLARGE, "%s is larger than the limit of %d bytes", l.name, l.max)
	return n, l.err
}
