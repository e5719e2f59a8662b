package ingest

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// atomEntry is one <entry> of an arXiv API response. Elements are matched by
// local name, so the feed's namespace prefixes do not matter. Creator covers
// rss.arxiv.org/atom feeds, which list authors in dc:creator.
type atomEntry struct {
	ID        string `xml:"id"`
	Title     string `xml:"title"`
	Summary   string `xml:"summary"`
	Published string `xml:"published"`
	Updated   string `xml:"updated"`
	Authors   []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Creator string `xml:"creator"`
	Links   []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Categories []struct {
		Term string `xml:"term,attr"`
	} `xml:"category"`
	Primary struct {
		Term string `xml:"term,attr"`
	} `xml:"primary_category"`
}

func (ps *parser) atom(br *bufio.Reader) error {
	return walkXML(ps, br, "feed", "entry", ps.emitAtom)
}

func (ps *parser) emitAtom(pos string, e *atomEntry) error {
	id := strings.TrimSpace(e.ID)
	// The API reports a bad query as a feed with one entry whose id points
	// at its error page; that is not a paper.
	if _, frag, ok := strings.Cut(id, "arxiv.org/api/errors#"); ok {
		msg := collapse(e.Summary)
		if msg == "" {
			msg = frag
		}
		return ps.problem(pos, "arXiv API error: %s", truncate(msg, 200))
	}
	p := paperpicks.Paper{
		ID:       id,
		Title:    e.Title,
		Abstract: stripAnnounce(e.Summary),
	}
	if canon, ok := NormalizeID(id); ok {
		p.ID = canon
	}
	for _, l := range e.Links {
		if l.Rel != "alternate" && l.Rel != "" {
			continue
		}
		// A versioned abs link of the same paper gives way to the canonical
		// unversioned one, which Clean fills in.
		if linkID, ok := NormalizeID(l.Href); !ok || linkID != p.ID {
			p.URL = l.Href
		}
		break
	}
	for _, a := range e.Authors {
		p.Authors = append(p.Authors, a.Name)
	}
	if len(p.Authors) == 0 && e.Creator != "" {
		p.Authors = splitAuthors(e.Creator)
	}
	if e.Primary.Term != "" {
		p.Categories = append(p.Categories, e.Primary.Term)
	}
	for _, c := range e.Categories {
		p.Categories = append(p.Categories, c.Term)
	}
	date := e.Published
	if strings.TrimSpace(date) == "" {
		date = e.Updated
	}
	if date = strings.TrimSpace(date); date != "" {
		t, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return ps.reject(pos, p, fmt.Sprintf("invalid published %q: want RFC 3339", truncate(date, 40)))
		}
		p.Published = t
	}
	return ps.emit(pos, p)
}
