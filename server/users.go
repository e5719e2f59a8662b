package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/users"
)

// VoteLister lists a user's current votes.
type VoteLister interface {
	Votes(ctx context.Context, userID string) ([]store.Vote, error)
}

// requireUser admits the admin token for any user and a user's own token
// for that user's routes: no token or an unknown one is 401, another
// user's token 403.
func (s *Server) requireUser(c *gin.Context) {
	tok := bearer(c)
	if tok == "" {
		abort(c, paperpicks.Errorf(paperpicks.EUNAUTHORIZED, "missing token: send Authorization: Bearer <token>"))
		return
	}
	if s.isAdmin(c) {
		c.Next()
		return
	}
	u, err := s.users.Authenticate(c.Request.Context(), tok)
	if err != nil {
		abort(c, err)
		return
	}
	if u.ID != c.Param("id") {
		abort(c, paperpicks.Errorf(paperpicks.EFORBIDDEN, "this token belongs to another user"))
		return
	}
	c.Next()
}

// decodeJSON reads a JSON object body into v, refusing unknown fields and
// trailing data; errors name the offending field. An empty body leaves v
// as it is when allowEmpty.
func (s *Server) decodeJSON(c *gin.Context, v any, allowEmpty bool) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return paperpicks.FieldErrorf("body", "request body is empty; want a JSON object")
	}
	return decodeStrict(body, v)
}

var unknownField = regexp.MustCompile(`unknown field "([^"]*)"`)

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() || dec.InputOffset() < int64(len(bytes.TrimRight(body, " \t\r\n"))) {
			if _, terr := dec.Token(); terr != io.EOF {
				return paperpicks.FieldErrorf("body", "request body has data after the JSON object")
			}
		}
		return nil
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return paperpicks.FieldErrorf(field, "field %s must be %s, got %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		field := m[1]
		if field == "" { // {"": …}: there is no name to point at
			field = "body"
		}
		return paperpicks.FieldErrorf(field, "unknown field %q", m[1])
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return paperpicks.FieldErrorf("body", "malformed JSON at byte %d: %v", se.Offset, se)
	}
	return paperpicks.FieldErrorf("body", "malformed JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "ptr":
		return "a value of the right type"
	}
	return "a " + k
}

func (s *Server) createUser(c *gin.Context) {
	if !s.cfg.OpenSignup {
		s.requireAdmin(c)
		if c.IsAborted() {
			return
		}
	}
	var set users.Settings
	if err := s.decodeJSON(c, &set, true); err != nil {
		abort(c, err)
		return
	}
	u, token, err := s.users.Create(c.Request.Context(), set)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": u.ID, "token": token, "user": u})
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.users.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *Server) updateUser(c *gin.Context) {
	var set users.Settings
	if err := s.decodeJSON(c, &set, false); err != nil {
		abort(c, err)
		return
	}
	u, err := s.users.Update(c.Request.Context(), c.Param("id"), set)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *Server) deleteUser(c *gin.Context) {
	if err := s.users.Delete(c.Request.Context(), c.Param("id")); err != nil {
		abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type feedbackRequest struct {
	PaperID string          `json:"paper_id"`
	Value   paperpicks.Vote `json:"value"`
}

func (s *Server) postFeedback(c *gin.Context) {
	var req feedbackRequest
	if err := s.decodeJSON(c, &req, false); err != nil {
		abort(c, err)
		return
	}
	if strings.TrimSpace(req.PaperID) == "" {
		abort(c, paperpicks.FieldErrorf("paper_id", "paper_id is required"))
		return
	}
	if !req.Value.Valid() {
		abort(c, paperpicks.FieldErrorf("value", "value must be \"up\", \"down\" or \"none\", got %q", req.Value))
		return
	}
	id := catalog.CanonicalID(req.PaperID)
	changed, err := s.profiles.Feedback(c.Request.Context(), c.Param("id"), id, req.Value)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user_id": c.Param("id"), "paper_id": id, "value": req.Value, "changed": changed})
}

// likeView is one voted paper as the likes route lists it.
type likeView struct {
	PaperID string    `json:"paper_id"`
	Title   string    `json:"title,omitempty"`
	URL     string    `json:"url,omitempty"`
	At      time.Time `json:"at"`
}

func (s *Server) getLikes(c *gin.Context) {
	ctx := c.Request.Context()
	want := paperpicks.Vote(c.DefaultQuery("value", "up"))
	if want != paperpicks.VoteUp && want != paperpicks.VoteDown {
		abort(c, paperpicks.FieldErrorf("value", "value must be up or down, got %q", want))
		return
	}
	if _, err := s.users.Get(ctx, c.Param("id")); err != nil {
		abort(c, err)
		return
	}
	votes, err := s.store.Votes(ctx, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	var ids []string
	for _, v := range votes {
		if v.Value == want {
			ids = append(ids, v.PaperID)
		}
	}
	papers, err := s.catalog.Papers(ctx, ids)
	if err != nil {
		abort(c, err)
		return
	}
	out := []likeView{}
	for _, v := range votes {
		if v.Value != want {
			continue
		}
		lv := likeView{PaperID: v.PaperID, At: v.At}
		if p := papers[v.PaperID]; p != nil {
			lv.Title, lv.URL = p.Title, p.URL
		}
		out = append(out, lv)
	}
	c.JSON(http.StatusOK, gin.H{"user_id": c.Param("id"), "value": want, "papers": out})
}

// importResult says what happened to each reference of an import.
type importResult struct {
	Liked    []string `json:"liked"`
	Already  []string `json:"already"`
	NotFound []string `json:"not_found"`
}

// importLikes seeds a user's likes from a list of arXiv ids or URLs, or a
// BibTeX file; references not in the catalog are reported, not fatal.
func (s *Server) importLikes(c *gin.Context) {
	ctx := c.Request.Context()
	body, err := s.readBody(c)
	if err != nil {
		abort(c, err)
		return
	}
	refs, err := ingest.ParseRefs(body)
	if err != nil {
		abort(c, err)
		return
	}
	if len(refs) == 0 {
		abort(c, paperpicks.FieldErrorf("body", "no paper reference in the body: send arXiv ids or URLs, one per line, a JSON array, or BibTeX"))
		return
	}
	if _, err := s.users.Get(ctx, c.Param("id")); err != nil {
		abort(c, err)
		return
	}
	res := importResult{Liked: []string{}, Already: []string{}, NotFound: []string{}}
	for _, r := range refs {
		if r.ID == "" {
			res.NotFound = append(res.NotFound, r.Raw)
			continue
		}
		changed, err := s.profiles.Feedback(ctx, c.Param("id"), r.ID, paperpicks.VoteUp)
		switch {
		case paperpicks.IsCode(err, paperpicks.ENOTFOUND):
			res.NotFound = append(res.NotFound, r.Raw)
		case err != nil:
			abort(c, err)
			return
		case changed:
			res.Liked = append(res.Liked, r.ID)
		default:
			res.Already = append(res.Already, r.ID)
		}
	}
	c.JSON(http.StatusOK, res)
}
