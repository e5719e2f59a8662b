package ingest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// hfDailyItem is one element of huggingface.co/api/daily_papers. The paper
// object carries the arXiv metadata; the top level is about the daily
// listing (when it was featured, comments, thumbnail), which we do not keep.
type hfDailyItem struct {
	Paper struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Summary string `json:"summary"`
		Authors []struct {
			Name string `json:"name"`
		} `json:"authors"`
		PublishedAt string `json:"publishedAt"`
		Upvotes     int    `json:"upvotes"`
	} `json:"paper"`
	Title string `json:"title"`
}

// hfDaily streams the array element by element with json.Decoder, so a long
// listing is never held whole. An element that is valid JSON but not a
// paper is skipped; broken JSON stops the stream, as there is no telling
// where the next element starts.
func (ps *parser) hfDaily(br *bufio.Reader) error {
	d := json.NewDecoder(br)
	tok, err := d.Token()
	if err == io.EOF {
		return ps.problem("item 1", "empty input, want a JSON array of daily papers")
	}
	if err != nil {
		return ps.jsonStop(err, "item 1")
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return ps.problem("item 1", "not a JSON array of daily papers")
	}
	n := 1
	for ; d.More(); n++ {
		if err := ps.ctx.Err(); err != nil {
			return err
		}
		pos := "item " + strconv.Itoa(n)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return ps.jsonStop(err, pos)
		}
		var it hfDailyItem
		if msg := decodeLine(raw, &it); msg != "" {
			if err := ps.problem(pos, "%s", msg); err != nil {
				return err
			}
			continue
		}
		if err := ps.emitHF(pos, &it); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing ']'
		return ps.jsonStop(err, "item "+strconv.Itoa(n))
	}
	return nil
}

func (ps *parser) emitHF(pos string, it *hfDailyItem) error {
	hp := &it.Paper
	p := paperpicks.Paper{
		ID:       hp.ID,
		Title:    hp.Title,
		Abstract: hp.Summary,
		Upvotes:  hp.Upvotes,
	}
	if strings.TrimSpace(p.Title) == "" {
		p.Title = it.Title
	}
	for _, a := range hp.Authors {
		p.Authors = append(p.Authors, a.Name)
	}
	// Hugging Face papers are arXiv papers, and Clean links those to arXiv.
	// The rare other id gets its Hugging Face page.
	if id := strings.TrimSpace(hp.ID); id != "" {
		if _, ok := NormalizeID(id); !ok {
			p.URL = "https://huggingface.co/papers/" + url.PathEscape(id)
		}
	}
	if d := strings.TrimSpace(hp.PublishedAt); d != "" {
		t, err := time.Parse(time.RFC3339, d)
		if err != nil {
			return ps.reject(pos, p, fmt.Sprintf("invalid publishedAt %q: want RFC 3339", truncate(d, 40)))
		}
		p.Published = t
	}
	return ps.emit(pos, p)
}

// jsonStop ends a JSON stream: the read error if the source failed, else
// one problem for the JSON that broke at pos.
func (ps *parser) jsonStop(err error, pos string) error {
	if ps.src.err != nil {
		return ps.src.wrap()
	}
	return ps.problem(pos, "%s, stopped reading", jsonProblem(err))
}
