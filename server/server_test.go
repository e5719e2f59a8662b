package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperpicks/paperpicks/server"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

const admin = "admin-secret"

// newTestServer serves the sample catalog from a real SQLite file.
func newTestServer(t *testing.T, maxBody int64) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pp.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := server.SampleDeps(t, st, 64, log)
	ts := httptest.NewServer(server.New(server.Config{AdminToken: admin, MaxBodyBytes: maxBody}, deps, log).Handler())
	t.Cleanup(ts.Close)
	return ts
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

func do(t *testing.T, ts *httptest.Server, method, path, token, body string) response {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 204 && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	return r
}

func errorCode(r response) string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestErrorsAndStatuses(t *testing.T) {
	ts := newTestServer(t, 4096)
	big := "[" + strings.Repeat(`{"id":"x","title":"t","abstract":"a"},`, 200) + "{}]"
	tests := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"unknown paper", "GET", "/v1/papers/2401.99999", "", "", 404, "not_found"},
		{"unknown paper similar", "GET", "/v1/papers/nope/similar", "", "", 404, "not_found"},
		{"bad k", "GET", "/v1/papers/sample-acea468a/similar?k=zero", "", "", 400, "invalid"},
		{"negative k", "GET", "/v1/search?q=x&k=-1", "", "", 400, "invalid"},
		{"empty search", "GET", "/v1/search?q=", "", "", 400, "invalid"},
		{"ingest without token", "POST", "/v1/papers", "", "[]", 401, "unauthorized"},
		{"ingest with wrong token", "POST", "/v1/papers", "guess", "[]", 403, "forbidden"},
		{"malformed JSON array", "POST", "/v1/papers", admin, `[{"id": "a",`, 400, "invalid"},
		{"body too large", "POST", "/v1/papers", admin, big, 413, "too_large"},
		{"nothing valid", "POST", "/v1/papers", admin, `[{"id":"2401.00001","title":"no abstract"}]`, 422, "unprocessable"},
		{"no route", "GET", "/v2/anything", "", "", 404, "not_found"},
		{"wrong method", "DELETE", "/v1/search", "", "", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, ts, tt.method, tt.path, tt.token, tt.body)
			if r.status != tt.status || errorCode(r) != tt.code {
				t.Errorf("got %d %s (%s), want %d %s", r.status, errorCode(r), r.raw, tt.status, tt.code)
			}
			if msg, _ := r.body["error"].(map[string]any)["message"].(string); msg == "" {
				t.Errorf("error without message: %s", r.raw)
			}
		})
	}
	// The field is named for invalid parameters.
	if r := do(t, ts, "GET", "/v1/search?q=x&k=0", "", ""); r.body["error"].(map[string]any)["field"] != "k" {
		t.Errorf("bad k error does not name the field: %s", r.raw)
	}
}

func TestPapersSimilarSearchIngest(t *testing.T) {
	ts := newTestServer(t, 1<<20)
	if r := do(t, ts, "GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("healthz = %d", r.status)
	}
	if r := do(t, ts, "GET", "/readyz", "", ""); r.status != 200 || r.body["papers"] != float64(119) {
		t.Errorf("readyz = %d %s", r.status, r.raw)
	}
	r := do(t, ts, "GET", "/v1/papers/sample-acea468a/similar?k=3", "", "")
	results, _ := r.body["results"].([]any)
	if r.status != 200 || len(results) != 3 {
		t.Fatalf("similar = %d %s", r.status, r.raw)
	}

	// JSONL body with an old-style arXiv id, then fetched through its slash.
	body := `{"id":"arXiv:hep-th/9901001v2","title":"Strings on branes","abstract":"We study D-branes and string dualities."}` + "\n" +
		`{"id":"2402.00002","title":"Sparse attention","abstract":"Transformers with sparse attention over long documents."}` + "\n{oops\n"
	r = do(t, ts, "POST", "/v1/papers", admin, body)
	if r.status != 200 || r.body["added"] != float64(2) || len(r.body["skipped"].([]any)) != 1 {
		t.Fatalf("ingest = %d %s", r.status, r.raw)
	}
	r = do(t, ts, "GET", "/v1/papers/hep-th/9901001", "", "")
	if r.status != 200 || r.body["title"] != "Strings on branes" {
		t.Errorf("old-style id = %d %s", r.status, r.raw)
	}
	if r = do(t, ts, "GET", "/v1/papers/hep-th%2F9901001/similar?k=2", "", ""); r.status != 200 {
		t.Errorf("old-style id similar (escaped slash) = %d %s", r.status, r.raw)
	}
	r = do(t, ts, "GET", "/v1/search?q=sparse+attention+transformers&k=1", "", "")
	results, _ = r.body["results"].([]any)
	if r.status != 200 || len(results) != 1 || results[0].(map[string]any)["id"] != "2402.00002" {
		t.Errorf("search = %d %s", r.status, r.raw)
	}
	// Re-posting the same array: unchanged, not duplicated.
	r = do(t, ts, "POST", "/v1/papers", admin, `[{"id":"2402.00002","title":"Sparse attention","abstract":"Transformers with sparse attention over long documents."}]`)
	if r.status != 200 || r.body["unchanged"] != float64(1) || r.body["embedded"] != float64(0) {
		t.Errorf("re-ingest = %d %s", r.status, r.raw)
	}
}
