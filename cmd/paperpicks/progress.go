package main

import (
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long job is: a bar on a terminal, a structured
// log line every few seconds otherwise.
type progress struct {
	bar   *progressbar.ProgressBar
	log   *slog.Logger
	what  string
	total int64
	done  atomic.Int64
	last  time.Time
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress starts a progress display for total units (-1 if unknown);
// bytes says whether the units are bytes.
func newProgress(w io.Writer, log *slog.Logger, what string, total int64, bytes bool) *progress {
	p := &progress{log: log, what: what, total: total, last: time.Now()}
	if isTerminal(w) {
		opts := []progressbar.Option{progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(100 * time.Millisecond), progressbar.OptionClearOnFinish()}
		if bytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		}
		p.bar = progressbar.NewOptions64(total, opts...)
	}
	return p
}

// Set records absolute progress.
func (p *progress) Set(n int64) {
	p.done.Store(n)
	if p.bar != nil {
		p.bar.Set64(n)
		return
	}
	if time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		p.log.Info("progress", "job", p.what, "done", n, "total", p.total)
	}
}

// Add records n more units.
func (p *progress) Add(n int64) { p.Set(p.done.Load() + n) }

// Finish ends the display.
func (p *progress) Finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// countingReader reports every read to a progress display.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n))
	return n, err
}
