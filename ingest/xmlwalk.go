package ingest

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// walkXML streams an XML feed: it reads tokens until the next element named
// item (by local name, at any depth), decodes just that element into a T and
// hands it to emit with its position "<item> N (line L)". So one record at a
// time is in memory, whatever the size of the feed.
//
// The root element must be named root; anything else (an HTML error page,
// arXiv's plain-text "Rate exceeded.") is reported as one problem. XML that
// breaks ends the walk with one problem at the line where it broke; what was
// emitted before stands.
func walkXML[T any](ps *parser, br *bufio.Reader, root, item string, emit func(pos string, v *T) error) error {
	d := xml.NewDecoder(br)
	d.Entity = xml.HTMLEntity // "&nbsp;" and friends leak into feeds
	d.CharsetReader = charsetReader
	n := 0
	sawRoot := false
	for {
		if err := ps.ctx.Err(); err != nil {
			return err
		}
		tok, err := d.Token()
		if err != nil {
			return ps.xmlStop(d, err, root, sawRoot, "")
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if start.Name.Local != root {
				return ps.problem("line 1", "not %s: the root element is <%s>", feedKind(root), start.Name.Local)
			}
			sawRoot = true
			continue
		}
		if start.Name.Local != item {
			continue
		}
		n++
		line, _ := d.InputPos()
		var v T
		if err := d.DecodeElement(&v, &start); err != nil {
			return ps.xmlStop(d, err, root, sawRoot, fmt.Sprintf(" in %s %d", item, n))
		}
		if err := emit(fmt.Sprintf("%s %d (line %d)", item, n, line), &v); err != nil {
			return err
		}
	}
}

// xmlStop turns the error that ended a walk into Parse's result: nil at the
// end of a complete document, the read error if the source failed, and else
// one problem item, since the decoder cannot go on past broken XML.
func (ps *parser) xmlStop(d *xml.Decoder, err error, root string, sawRoot bool, where string) error {
	if ps.src.err != nil {
		return ps.src.wrap()
	}
	line, _ := d.InputPos()
	if err == io.EOF {
		if sawRoot {
			return nil
		}
		return ps.problem(fmt.Sprintf("line %d", line), "not %s: no root element", feedKind(root))
	}
	msg := strings.TrimPrefix(err.Error(), "xml: ")
	if syn, ok := errors.AsType[*xml.SyntaxError](err); ok {
		line, msg = syn.Line, syn.Msg
	}
	return ps.problem(fmt.Sprintf("line %d", line), "broken XML%s, stopped reading: %s", where, msg)
}

func feedKind(root string) string {
	if root == "feed" {
		return "an Atom feed"
	}
	return "an RSS 2.0 feed"
}

// charsetReader lets the decoder read the two legacy encodings a feed might
// still declare; UTF-8 the decoder handles itself.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "latin1", "latin-1", "l1":
		return &latin1Reader{r: r}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", charset)
}

// latin1Reader converts ISO-8859-1 to UTF-8: each byte is the code point.
type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	if cap(l.buf) < len(p)/2 {
		l.buf = make([]byte, len(p)/2)
	}
	n, err := l.r.Read(l.buf[:len(p)/2])
	out := p[:0]
	for _, b := range l.buf[:n] {
		if b < 0x80 {
			out = append(out, b)
		} else {
			out = append(out, 0xc0|b>>6, 0x80|b&0x3f)
		}
	}
	return len(out), err
}
