// Package ingest reads research papers from the sources paperpicks knows:
// our own JSONL, the arXiv API (Atom), arXiv's daily RSS, Hugging Face daily
// papers and the Kaggle arXiv metadata snapshot.
//
// Every parser streams: a multi-GB snapshot goes through in constant memory.
// Every record comes out as an Item that is either a cleaned, valid paper or
// a problem saying why it was skipped, so one bad record never costs the rest
// of a source. Parse fails only when the source itself cannot be read.
package ingest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/paperpicks/paperpicks"
)

// Format names a source format.
type Format string

const (
	FormatJSONL    Format = "jsonl"          // our schema, one JSON object per line
	FormatAtom     Format = "arxiv-atom"     // arXiv API /api/query Atom response
	FormatRSS      Format = "arxiv-rss"      // arXiv daily RSS 2.0 per category (rss.arxiv.org/rss/cs.LG)
	FormatHFDaily  Format = "hf-daily"       // Hugging Face /api/daily_papers JSON array
	FormatSnapshot Format = "arxiv-snapshot" // Kaggle arXiv metadata snapshot, one JSON object per line
)

// Formats lists every format Parse reads, in a stable order for help texts.
func Formats() []Format {
	return []Format{FormatJSONL, FormatAtom, FormatRSS, FormatHFDaily, FormatSnapshot}
}

// ParseFormat reads a format name as a user types it. "" and "auto" give ""
// (detect it), so a flag's default needs no special case.
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return "", nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, 6)
	names = append(names, "auto")
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", paperpicks.FieldErrorf("format", "unknown format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Item is one record read from a source: a cleaned, valid paper, or a problem
// (Problem non-empty, Paper possibly partial and must not be stored).
type Item struct {
	Paper   paperpicks.Paper
	Pos     string // where in the source: "line 12", "entry 3 (line 40)", "item 5"
	Problem string // non-empty when the record is skipped: the reason
}

// Limits on one paper. They keep a hostile or broken source from filling the
// catalog and the embedder with junk; real papers are far below them.
const (
	MaxTitle       = 1000    // runes
	MaxAbstract    = 20000   // runes
	MaxAuthors     = 2000    // names per paper; big collaborations mostly sign as one name
	MaxAuthorLen   = 300     // runes per name
	MaxCategories  = 50      // categories per paper
	MaxCategoryLen = 100     // runes per category
	MaxID          = 100     // runes
	MaxURL         = 2048    // bytes
	MaxLineBytes   = 1 << 20 // bytes per JSONL or snapshot line, newline excluded
)

// peekSize is how much of a source Parse looks at to detect its format.
const peekSize = 4096

// Parse streams records of format f from r and calls fn once per record, in
// order. An empty f means detect the format from the first bytes of r.
//
// It never panics and holds one record at a time, never the whole input,
// so it reads a multi-GB snapshot in constant memory. A malformed
// record becomes an Item with Problem set and parsing goes on with the next
// one; XML broken past recovery, or a JSON array whose syntax breaks, ends
// with one problem Item at the place it broke, keeping what came before.
// Parse returns an error only if reading r fails, fn fails (its error is
// returned as is), ctx is done, or f is not a format.
//
// Options change the validation: AllowUntitled accepts papers without a title.
func Parse(ctx context.Context, r io.Reader, f Format, fn func(Item) error, opts ...Option) error {
	src := &errReader{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	if f == "" {
		peek, _ := br.Peek(peekSize)
		if src.err != nil {
			return src.wrap()
		}
		var err error
		if f, err = Detect(peek, ""); err != nil {
			return err
		}
	}
	p := parser{ctx: ctx, src: src, fn: fn, source: string(f)}
	for _, o := range opts {
		o(&p)
	}
	switch f {
	case FormatJSONL:
		return p.jsonl(br)
	case FormatSnapshot:
		return p.snapshot(br)
	case FormatAtom:
		return p.atom(br)
	case FormatRSS:
		return p.rss(br)
	case FormatHFDaily:
		return p.hfDaily(br)
	}
	return paperpicks.FieldErrorf("format", "unknown format %q", f)
}

// parser carries what every format's loop needs.
type parser struct {
	ctx      context.Context
	src      *errReader
	fn       func(Item) error
	source   string // Paper.Source of every paper
	untitled bool   // accept papers without a title
}

// Option changes how Parse validates records.
type Option func(*parser)

// AllowUntitled accepts papers without a title (see CleanUntitled).
func AllowUntitled() Option { return func(p *parser) { p.untitled = true } }

// emit cleans p and hands it on as a paper or, if Clean rejects it, as a
// problem. It checks ctx first, so a cancelled parse stops between records.
func (ps *parser) emit(pos string, p paperpicks.Paper) error {
	if err := ps.ctx.Err(); err != nil {
		return err
	}
	p.Source = ps.source
	if err := clean(&p, ps.untitled); err != nil {
		return ps.fn(Item{Paper: p, Pos: pos, Problem: err.Error()})
	}
	return ps.fn(Item{Paper: p, Pos: pos})
}

// reject hands on a partly read paper as a problem.
func (ps *parser) reject(pos string, p paperpicks.Paper, problem string) error {
	if err := ps.ctx.Err(); err != nil {
		return err
	}
	p.Source = ps.source
	return ps.fn(Item{Paper: p, Pos: pos, Problem: problem})
}

// problem hands on a record that could not even be read into a paper.
func (ps *parser) problem(pos, format string, args ...any) error {
	if err := ps.ctx.Err(); err != nil {
		return err
	}
	return ps.fn(Item{Pos: pos, Problem: fmt.Sprintf(format, args...), Paper: paperpicks.Paper{Source: ps.source}})
}

// errReader remembers the first read error of the underlying source, so a
// decoder's complaint can be told apart from a failing disk or connection:
// only the latter makes Parse fail.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// wrap returns the read error with context, keeping its chain (a coded
// *paperpicks.Error such as ETOOLARGE stays visible to ErrorCode).
func (e *errReader) wrap() error {
	if e.err == nil {
		return nil
	}
	return fmt.Errorf("reading source: %w", e.err)
}
