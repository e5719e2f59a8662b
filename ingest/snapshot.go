package ingest

import (
	"bufio"
	"strings"
	"time"

	"github.com/paperpicks/paperpicks"
)

// snapshotRecord is one line of the Kaggle "arxiv-metadata-oai-snapshot.json"
// (Cornell University's arXiv dataset). Fields we do not use (submitter,
// comments, journal-ref, doi, report-no, license) are left out, so an odd
// value in one of them cannot cost a paper.
type snapshotRecord struct {
	ID            string     `json:"id"`
	Authors       string     `json:"authors"`
	AuthorsParsed [][]string `json:"authors_parsed"`
	Title         string     `json:"title"`
	Categories    string     `json:"categories"`
	Abstract      string     `json:"abstract"`
	Versions      []struct {
		Version string `json:"version"`
		Created string `json:"created"`
	} `json:"versions"`
	UpdateDate string `json:"update_date"`
}

// snapshotCreated is the layout of versions[].created, e.g.
// "Mon, 2 Apr 2007 19:18:42 GMT" (the day has no leading zero).
const snapshotCreated = "Mon, 2 Jan 2006 15:04:05 MST"

func (ps *parser) snapshot(br *bufio.Reader) error {
	return ps.eachLine(br, func(pos string, line []byte) error {
		var rec snapshotRecord
		if msg := decodeLine(line, &rec); msg != "" {
			return ps.problem(pos, "%s", msg)
		}
		p := paperpicks.Paper{
			ID:         rec.ID,
			Title:      rec.Title,
			Abstract:   rec.Abstract,
			Categories: strings.Fields(rec.Categories),
			Published:  rec.published(),
		}
		// authors_parsed has accents resolved ("Balázs", not "Bal\'azs") and
		// affiliations split off, so it is the better source when present.
		p.Authors = parsedAuthors(rec.AuthorsParsed)
		if p.Authors == nil {
			p.Authors = splitAuthors(rec.Authors)
		}
		return ps.emit(pos, p)
	})
}

// published is the submission date of v1: what "published" means in the
// arXiv API. The snapshot's update_date is the fallback, as a date.
func (rec *snapshotRecord) published() time.Time {
	var created string
	for _, v := range rec.Versions {
		if v.Version == "v1" {
			created = v.Created
			break
		}
	}
	if created == "" && len(rec.Versions) > 0 {
		created = rec.Versions[0].Created
	}
	if t, err := time.Parse(snapshotCreated, strings.TrimSpace(created)); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, strings.TrimSpace(rec.UpdateDate)); err == nil {
		return t
	}
	return time.Time{}
}

// parsedAuthors turns [[last, first, suffix], ...] into "First Last Suffix".
func parsedAuthors(parsed [][]string) []string {
	if len(parsed) == 0 {
		return nil
	}
	names := make([]string, 0, len(parsed))
	for _, parts := range parsed {
		var last, first, suffix string
		switch {
		case len(parts) >= 3:
			last, first, suffix = parts[0], parts[1], parts[2]
		case len(parts) == 2:
			last, first = parts[0], parts[1]
		case len(parts) == 1:
			last = parts[0]
		}
		name := strings.Join(strings.Fields(first+" "+last+" "+suffix), " ")
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}
