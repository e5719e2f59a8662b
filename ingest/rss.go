package ingest

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// rssItem is one <item> of rss.arxiv.org/rss/<category>, the RSS 2.0 feed
// arXiv has served since 2024. Creator is dc:creator, AnnounceType is
// arxiv:announce_type (new, cross, replace, replace-cross); elements are
// matched by local name.
type rssItem struct {
	Title        string   `xml:"title"`
	Link         string   `xml:"link"`
	Description  string   `xml:"description"`
	GUID         string   `xml:"guid"`
	Categories   []string `xml:"category"`
	PubDate      string   `xml:"pubDate"`
	AnnounceType string   `xml:"announce_type"`
	Creator      string   `xml:"creator"`
}

// announceRE matches the head arXiv puts before every RSS abstract:
// "arXiv:2401.12345v1 Announce Type: new \nAbstract: ".
var announceRE = regexp.MustCompile(`^\s*arXiv:(\S+)\s+Announce Type:\s*\S*\s*Abstract:\s*`)

// stripAnnounce returns the abstract without arXiv's announcement head.
func stripAnnounce(s string) string {
	if m := announceRE.FindStringIndex(s); m != nil {
		return s[m[1]:]
	}
	return s
}

// rssDates are the pubDate layouts seen in arXiv's feeds: RFC 1123 with a
// numeric zone ("Mon, 15 Jan 2024 00:00:00 -0500") or a named one.
var rssDates = []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST"}

func (ps *parser) rss(br *bufio.Reader) error {
	return walkXML(ps, br, "rss", "item", ps.emitRSS)
}

// emitRSS keeps every announce type: a replacement is a new version of a
// paper we may hold, and storing it again updates it. Source stays the
// format name, so papers from one source compare equal across days.
func (ps *parser) emitRSS(pos string, it *rssItem) error {
	p := paperpicks.Paper{
		Title:      it.Title,
		Abstract:   stripAnnounce(it.Description),
		Categories: it.Categories,
		Authors:    splitAuthors(it.Creator),
	}
	// The guid ("oai:arXiv.org:2401.12345v1") is the id; the link and the
	// description's "arXiv:<id>" head are fallbacks for trimmed feeds.
	for _, cand := range []string{it.GUID, it.Link, announceID(it.Description)} {
		if id, ok := NormalizeID(cand); ok {
			p.ID = id
			break
		}
	}
	if p.ID == "" {
		p.ID = strings.TrimSpace(it.GUID)
	}
	if linkID, ok := NormalizeID(it.Link); !ok || linkID != p.ID {
		p.URL = strings.TrimSpace(it.Link)
	}
	if d := strings.TrimSpace(it.PubDate); d != "" {
		t, err := parseRSSDate(d)
		if err != nil {
			return ps.reject(pos, p, fmt.Sprintf("invalid pubDate %q: want RFC 1123", truncate(d, 40)))
		}
		p.Published = t
	}
	return ps.emit(pos, p)
}

func announceID(desc string) string {
	if m := announceRE.FindStringSubmatch(desc); m != nil {
		return m[1]
	}
	return ""
}

func parseRSSDate(s string) (time.Time, error) {
	var err error
	for _, layout := range rssDates {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
