package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/ingest"
)

// defaultK is how many results a query returns without ?k=.
const defaultK = 10

// intParam reads an optional positive integer query parameter.
func intParam(c *gin.Context, name string, def int) (int, error) {
	s, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, paperpicks.FieldErrorf(name, "%s must be a positive integer, got %q", name, s)
	}
	return n, nil
}

// readBody reads the whole body up to the configured limit (413 beyond).
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	b, err := io.ReadAll(r)
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, paperpicks.Errorf(paperpicks.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	}
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "cannot read request body")
	}
	return b, nil
}

// postPapers ingests a JSON array or JSONL body of papers in our schema
// and answers with the ingest summary.
func (s *Server) postPapers(c *gin.Context) {
	body, err := s.readBody(c)
	if err != nil {
		abort(c, err)
		return
	}
	lines, err := arrayToLines(body)
	if err != nil {
		abort(c, err)
		return
	}
	sum, err := s.catalog.IngestReader(c.Request.Context(), bytes.NewReader(lines), ingest.FormatJSONL, "api")
	if err != nil {
		abort(c, err)
		return
	}
	if sum.Valid() == 0 {
		msg := "no paper in the request body"
		if len(sum.Skipped) > 0 {
			msg = "no valid paper in the request body; first problem at " + sum.Skipped[0].Pos + ": " + sum.Skipped[0].Reason
		}
		abort(c, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "%s", msg))
		return
	}
	c.JSON(http.StatusOK, sum)
}

// arrayToLines turns a JSON array body into JSONL, one element per line,
// so both body shapes go through the same record parser and validation
// (a JSONL body passes through unchanged). A broken array is a 400.
func arrayToLines(body []byte) ([]byte, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return body, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(trimmed, &elems); err != nil {
		return nil, paperpicks.FieldErrorf("body", "request body is not a valid JSON array of papers: %v", err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	for _, e := range elems {
		var compact bytes.Buffer
		if err := json.Compact(&compact, e); err != nil {
			return nil, paperpicks.FieldErrorf("body", "request body has a malformed element: %v", err)
		}
		w.Write(compact.Bytes())
		w.WriteByte('\n')
	}
	w.Flush()
	return out.Bytes(), nil
}

// paperRoutes serves GET /v1/papers/{id} and GET /v1/papers/{id}/similar.
func (s *Server) paperRoutes(c *gin.Context) {
	rest := strings.TrimPrefix(c.Param("rest"), "/")
	if id, ok := strings.CutSuffix(rest, "/similar"); ok {
		s.similar(c, id)
		return
	}
	if rest == "" {
		abort(c, paperpicks.FieldErrorf("id", "paper id is missing from the path"))
		return
	}
	p, err := s.catalog.Get(c.Request.Context(), rest)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) similar(c *gin.Context, id string) {
	k, err := intParam(c, "k", defaultK)
	if err != nil {
		abort(c, err)
		return
	}
	res, err := s.catalog.Similar(c.Request.Context(), id, k)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"paper_id": id, "results": res})
}

func (s *Server) search(c *gin.Context) {
	k, err := intParam(c, "k", defaultK)
	if err != nil {
		abort(c, err)
		return
	}
	res, err := s.catalog.Search(c.Request.Context(), c.Query("q"), k)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"query": c.Query("q"), "results": res})
}
