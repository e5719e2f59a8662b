package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/ingest"
	"github.com/paperpicks/paperpicks/store/sqlite"
	"github.com/paperpicks/paperpicks/users"
)

// Seeds shared by the body decoders: valid bodies, and the shapes that
// broke decoders elsewhere (truncation, wrong types, trailing data, odd
// unicode, deep nesting).
var bodySeeds = []string{
	`{"paper_id":"2401.12345","value":"up"}`,
	`{"email":"ada@example.org","time_zone":"Europe/Berlin","picks_per_day":5,"digest":true}`,
	`{"paper_id":"x","val`, `{`, `}`, `[]`, `null`, `""`, `1e400`, `{} {}`, `{}x`, "\ufeff{}",
	`{"paper_id":5}`, `{"picks_per_day":"5"}`, `{"unknown":1}`, `{"paper_id":"\u0000\ud800"}`,
	"{\"paper_id\":\"\xff\"}", `[[[[[[[[[[]]]]]]]]]]`, `{"a":{"b":{"c":[1,2,{"d":null}]}}}`,
	`[{"id":"2401.00001","title":"T","abstract":"A"},{"id":"x"}]`, `[1,"x",null,[],{}]`, `[`, `[{]`, "[\n]", "  [ {} , {} ]  ",
}

// checkCoded fails unless err is nil or an EINVALID *paperpicks.Error
// naming a field: decoders must never produce a 500.
func checkCoded(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if paperpicks.ErrorCode(err) != paperpicks.EINVALID || paperpicks.ErrorField(err) == "" || paperpicks.ErrorMessage(err) == "" {
		t.Fatalf("decoder error is not a coded invalid-field error: %#v", err)
	}
}

// FuzzDecodeStrict decodes any body into the feedback and the user
// settings requests: it never panics, errors are 400s naming a field, and
// what it accepts is one JSON value and nothing after it.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fb feedbackRequest
		err := decodeStrict(body, &fb)
		checkCoded(t, err)
		if err == nil && !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON value: %q", body)
		}
		var set users.Settings
		err2 := decodeStrict(body, &set)
		checkCoded(t, err2)
		if err2 == nil && !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON value: %q", body)
		}
		if err == nil && err2 == nil {
			// Only bodies without fields of either type fit both.
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) == nil && len(m) > 0 {
				t.Fatalf("one object fits both request types: %q", body)
			}
		}
	})
}

// FuzzArrayToLines turns any POST /v1/papers body into JSONL: a JSON
// array becomes one compact element per line, anything else passes
// through unchanged, and a broken array is a 400.
func FuzzArrayToLines(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, err := arrayToLines(body)
		checkCoded(t, err)
		if err != nil {
			return
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
		if len(trimmed) == 0 || trimmed[0] != '[' {
			if !bytes.Equal(lines, body) {
				t.Fatalf("non-array body changed: %q -> %q", body, lines)
			}
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			t.Fatalf("accepted a broken array %q: %v", body, err)
		}
		got := 0
		for line := range bytes.Lines(lines) {
			line = bytes.TrimSuffix(line, []byte("\n"))
			if !json.Valid(line) || bytes.ContainsAny(line, "\n\r") {
				t.Fatalf("line %d is not one compact JSON value: %q", got+1, line)
			}
			got++
		}
		if got != len(elems) {
			t.Fatalf("%d elements became %d lines", len(elems), got)
		}
	})
}

// FuzzParseRefs reads any likes import body: never a panic, errors are
// 400s, at most ingest.MaxRefs references, no id twice, and every id in
// the canonical form the catalog stores.
func FuzzParseRefs(f *testing.F) {
	for _, s := range append(bodySeeds,
		"2401.12345\nhttps://arxiv.org/abs/2401.12345v2\n# comment\n\nsample-acea468a\n",
		`["2401.12345","arXiv:hep-th/9901001v3"]`, `{"ids":["0704.0001"]}`, `{"ids":5}`,
		"@article{x, eprint={2401.12345}, archivePrefix={arXiv}}\n@misc{y, url=\"https://arxiv.org/pdf/2401.54321v1\"}",
		"@misc{a, eprint={", "a b\n/x\n?\n#\n\x00\n\xff\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		refs, err := ingest.ParseRefs(body)
		checkCoded(t, err)
		if len(refs) > ingest.MaxRefs {
			t.Fatalf("%d references, more than %d", len(refs), ingest.MaxRefs)
		}
		seen := map[string]bool{}
		for _, r := range refs {
			if r.ID == "" {
				continue
			}
			if seen[r.ID] {
				t.Fatalf("id %q twice", r.ID)
			}
			seen[r.ID] = true
			if catalog.CanonicalID(r.ID) != r.ID {
				t.Fatalf("ref %q has id %q, canonically %q", r.Raw, r.ID, catalog.CanonicalID(r.ID))
			}
			if strings.ContainsAny(r.ID, " /?#") && !isArXiv(r.ID) {
				t.Fatalf("ref %q has id %q that no stored paper can have", r.Raw, r.ID)
			}
		}
	})
}

func isArXiv(id string) bool {
	canon, ok := ingest.NormalizeID(id)
	return ok && canon == id
}

// FuzzRoutes sends any method, path, query, body and token to the whole
// router over a real SQLite store: whatever comes in, the answer is never
// a 5xx, and every error is the JSON error body with the code its status
// stands for.
func FuzzRoutes(f *testing.F) {
	h, tokens := fuzzServer(f)
	paths := []string{"/healthz", "/readyz", "/v1/papers", "/v1/papers/sample-acea468a", "/v1/papers/sample-acea468a/similar",
		"/v1/search", "/v1/trending", "/v1/admin/rank", "/v1/users", "/v1/users/{id}", "/v1/users/{id}/feedback",
		"/v1/users/{id}/likes", "/v1/users/{id}/likes:import", "/v1/users/{id}/picks"}
	for i, p := range paths {
		for j, q := range []string{"", "k=3&q=graph&date=2026-01-04", "k=-1&days=0&date=x&value=down"} {
			f.Add(uint8(i+j), p, q, []byte(bodySeeds[(i+j)%len(bodySeeds)]), uint8(i))
		}
	}
	f.Add(uint8(1), "/v1/users/{id}/feedback", "", []byte(`{"paper_id":"sample-acea468a","value":"up"}`), uint8(2))
	f.Add(uint8(1), "/v1/papers", "", []byte(`[{"id":"f-1","title":"T","abstract":"A"}]`), uint8(1))
	methods := []string{"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"}
	f.Fuzz(func(t *testing.T, m uint8, path, query string, body []byte, tok uint8) {
		path = strings.ReplaceAll(path, "{id}", tokens[0][0])
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		method := methods[int(m)%len(methods)]
		if method == "DELETE" && strings.Contains(path, tokens[0][0]) {
			method = "GET" // keep the user the other inputs talk about
		}
		rq := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Host: "fuzz", RemoteAddr: "192.0.2.1:1"}
		rq = rq.WithContext(context.Background())
		if tk := tokens[int(tok)%len(tokens)][1]; tk != "" {
			rq.Header.Set("Authorization", "Bearer "+tk)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, rq)
		if w.Code >= 500 {
			t.Fatalf("%s %q?%q: %d %s", method, path, query, w.Code, w.Body)
		}
		if w.Code >= 400 && method != "HEAD" {
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || statusOf[e.Error.Code] != w.Code || !utf8.ValidString(e.Error.Message) {
				t.Fatalf("%s %q?%q: %d with error body %q", method, path, query, w.Code, w.Body)
			}
		}
	})
}

// fuzzServer is the server over the sample catalog in SQLite, with a
// user; tokens are (user id, token) pairs to send: the user's own, the
// admin's, an unknown one and none.
func fuzzServer(f *testing.F) (http.Handler, [][2]string) {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := SampleDeps(f, st, 32, log)
	us := deps.Users
	u, tok, err := us.Create(ctx, users.Settings{})
	if err != nil {
		f.Fatal(err)
	}
	s := New(Config{AdminToken: "admin", MaxBodyBytes: 64 << 10}, deps, log)
	return s.Handler(), [][2]string{{u.ID, tok}, {"", "admin"}, {"", "pp_unknown"}, {"", ""}}
}
