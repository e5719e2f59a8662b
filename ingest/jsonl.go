package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paperpicks/paperpicks"
)

// jsonlPaper is our interchange schema. Published is a string because we
// accept a bare date as well as RFC 3339; unknown fields are ignored so newer
// writers can add some.
type jsonlPaper struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Abstract   string   `json:"abstract"`
	Authors    []string `json:"authors"`
	URL        string   `json:"url"`
	Published  string   `json:"published"`
	Categories []string `json:"categories"`
	Upvotes    int      `json:"upvotes"`
}

func (ps *parser) jsonl(br *bufio.Reader) error {
	return ps.eachLine(br, func(pos string, line []byte) error {
		var jp jsonlPaper
		if msg := decodeLine(line, &jp); msg != "" {
			return ps.problem(pos, "%s", msg)
		}
		p := paperpicks.Paper{
			ID: jp.ID, Title: jp.Title, Abstract: jp.Abstract, Authors: jp.Authors,
			URL: jp.URL, Categories: jp.Categories, Upvotes: jp.Upvotes,
		}
		if jp.Published != "" {
			t, err := parseDate(jp.Published)
			if err != nil {
				return ps.reject(pos, p, fmt.Sprintf("invalid published %q: want RFC 3339 or YYYY-MM-DD", truncate(jp.Published, 40)))
			}
			p.Published = t
		}
		return ps.emit(pos, p)
	})
}

// eachLine runs fn on every non-blank line with its position, reporting
// over-long lines as problems itself.
func (ps *parser) eachLine(br *bufio.Reader, fn func(pos string, line []byte) error) error {
	lr := lineReader{br: br}
	for {
		if err := ps.ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ps.src.err != nil {
				return ps.src.wrap()
			}
			return fmt.Errorf("reading source: %w", err)
		}
		pos := "line " + strconv.Itoa(lr.line)
		if tooLong {
			if err := ps.problem(pos, "line longer than %d bytes", MaxLineBytes); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(pos, line); err != nil {
			return err
		}
	}
}

// decodeLine unmarshals one JSON object and returns a problem message, or "".
// encoding/json would silently turn invalid UTF-8 into U+FFFD; we reject it,
// since it means the file is not what it claims to be.
func decodeLine(line []byte, v any) string {
	if !utf8.Valid(line) {
		return "invalid UTF-8"
	}
	if err := json.Unmarshal(line, v); err != nil {
		return jsonProblem(err)
	}
	return ""
}

// jsonProblem phrases a decoding error as a skip reason that names the field.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Sprintf("not a JSON object: got %s", te.Value)
		}
		return fmt.Sprintf("wrong type for %s: got %s, want %s", te.Field, te.Value, jsonKind(te.Type))
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "invalid JSON: unexpected end of input"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return "invalid JSON: " + strings.Replace(msg, "of JSON input", "of input", 1)
}

// jsonKind names a Go type the way a JSON writer thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice:
		return "array of " + jsonKind(t.Elem()) + "s"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.String()
}

// parseDate accepts RFC 3339 timestamps and bare dates (taken as UTC).
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err
}
