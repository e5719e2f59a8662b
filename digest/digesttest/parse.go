package digesttest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Parsed is a received message taken apart: its header and its text and
// HTML bodies, decoded.
type Parsed struct {
	Header  mail.Header
	Subject string // decoded
	Text    string
	HTML    string
}

// Parse reads a message as net/mail and mime/multipart do: the top-level
// header, then either one body or the parts of a multipart/alternative
// (or multipart/mixed holding one).
func Parse(data []byte) (*Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	p := &Parsed{Header: m.Header}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return p, p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
}

func (p *Parsed) walk(ctype, cte string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart() // NextPart would decode quoted-printable itself, inconsistently
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("part: %w", err)
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{body})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mt, err)
	}
	switch mt {
	case "text/plain":
		p.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
	case "text/html":
		p.HTML = string(b)
	}
	return nil
}

type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(b []byte) (int, error) {
	k, err := n.r.Read(b)
	out := b[:0]
	for _, c := range b[:k] {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return len(out), err
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// Links returns the href targets of the HTML body, unescaped, in order.
func (p *Parsed) Links() []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(p.HTML, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}
