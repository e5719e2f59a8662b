package server_test

import (
	"fmt"
	"strings"
	"testing"
)

func newUser(t *testing.T, r response) (id, token string) {
	t.Helper()
	if r.status != 201 {
		t.Fatalf("create user = %d %s", r.status, r.raw)
	}
	return r.body["id"].(string), r.body["token"].(string)
}

func TestUsersAuthAndFeedback(t *testing.T) {
	ts := newTestServer(t, 1<<20)
	if r := do(t, ts, "POST", "/v1/users", "", `{}`); r.status != 401 {
		t.Errorf("signup without admin token = %d, want 401 (open signup is off)", r.status)
	}
	alice, aliceTok := newUser(t, do(t, ts, "POST", "/v1/users", admin, `{"email":"alice@example.org","time_zone":"Europe/Berlin","picks_per_day":5}`))
	bob, bobTok := newUser(t, do(t, ts, "POST", "/v1/users", admin, ``))
	if !strings.HasPrefix(aliceTok, "pp_") || aliceTok == bobTok {
		t.Fatalf("tokens %q %q", aliceTok, bobTok)
	}

	bad := []struct {
		name, body, field string
		status            int
	}{
		{"unknown field", `{"emial":"x@y.org"}`, "emial", 400},
		{"bad email", `{"email":"not an address"}`, "email", 400},
		{"bad time zone", `{"time_zone":"Mars/Olympus"}`, "time_zone", 400},
		{"k too big", `{"picks_per_day":500}`, "picks_per_day", 400},
		{"wrong type", `{"picks_per_day":"ten"}`, "picks_per_day", 400},
		{"malformed", `{"email":`, "body", 400},
		{"trailing data", `{} {}`, "body", 400},
		{"duplicate email", `{"email":"ALICE@example.org"}`, "", 409},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, ts, "POST", "/v1/users", admin, tt.body)
			field, _ := r.body["error"].(map[string]any)["field"].(string)
			if r.status != tt.status || field != tt.field {
				t.Errorf("got %d field %q (%s), want %d field %q", r.status, field, r.raw, tt.status, tt.field)
			}
		})
	}

	path := "/v1/users/" + alice
	for _, tt := range []struct {
		name, token string
		status      int
	}{{"no token", "", 401}, {"unknown token", "pp_nope", 401}, {"other user", bobTok, 403}, {"own token", aliceTok, 200}, {"admin", admin, 200}} {
		if r := do(t, ts, "GET", path, tt.token, ""); r.status != tt.status {
			t.Errorf("GET %s with %s = %d, want %d", path, tt.name, r.status, tt.status)
		}
	}
	if r := do(t, ts, "GET", path, aliceTok, ""); r.body["time_zone"] != "Europe/Berlin" || r.body["picks_per_day"] != float64(5) || r.body["digest"] != true {
		t.Errorf("user = %s", r.raw)
	}

	fb := func(paper, value string) response {
		return do(t, ts, "POST", path+"/feedback", aliceTok, fmt.Sprintf(`{"paper_id":%q,"value":%q}`, paper, value))
	}
	if r := fb("sample-acea468a", "up"); r.status != 200 || r.body["changed"] != true {
		t.Errorf("like = %d %s", r.status, r.raw)
	}
	if r := fb("sample-acea468a", "up"); r.status != 200 || r.body["changed"] != false {
		t.Errorf("like again = %d %s, want unchanged", r.status, r.raw)
	}
	if r := fb("nope", "up"); r.status != 404 {
		t.Errorf("like unknown paper = %d", r.status)
	}
	if r := fb("sample-acea468a", "meh"); r.status != 400 || r.body["error"].(map[string]any)["field"] != "value" {
		t.Errorf("invalid value = %d %s", r.status, r.raw)
	}
	if r := do(t, ts, "POST", "/v1/users/u_ghost/feedback", admin, `{"paper_id":"sample-acea468a","value":"up"}`); r.status != 404 {
		t.Errorf("feedback for unknown user = %d", r.status)
	}
	r := do(t, ts, "GET", path+"/likes", aliceTok, "")
	papers, _ := r.body["papers"].([]any)
	if r.status != 200 || len(papers) != 1 || papers[0].(map[string]any)["title"] == "" {
		t.Errorf("likes = %d %s", r.status, r.raw)
	}

	// Seeding likes: ids, URLs, and BibTeX; unknown ones reported.
	r = do(t, ts, "POST", path+"/likes:import", aliceTok, "sample-94b93732\nhttps://arxiv.org/abs/2401.99999v2\nsample-acea468a\n")
	if r.status != 200 || len(r.body["liked"].([]any)) != 1 || len(r.body["already"].([]any)) != 1 || len(r.body["not_found"].([]any)) != 1 {
		t.Errorf("import = %d %s", r.status, r.raw)
	}
	bib := "@article{x, title={T}, eprint={2401.88888}, archivePrefix={arXiv}}\n@misc{y, url={https://arxiv.org/abs/2401.77777}}"
	r = do(t, ts, "POST", path+"/likes:import", aliceTok, bib)
	if r.status != 200 || len(r.body["not_found"].([]any)) != 2 {
		t.Errorf("bibtex import = %d %s", r.status, r.raw)
	}
	if r := do(t, ts, "POST", path+"/likes:import", aliceTok, "  "); r.status != 400 {
		t.Errorf("empty import = %d", r.status)
	}

	// Update, then delete: the user and their data are gone.
	if r := do(t, ts, "PATCH", path, aliceTok, `{"digest":false}`); r.status != 200 || r.body["digest"] != false {
		t.Errorf("patch = %d %s", r.status, r.raw)
	}
	if r := do(t, ts, "DELETE", path, aliceTok, ""); r.status != 204 {
		t.Errorf("delete = %d", r.status)
	}
	if r := do(t, ts, "GET", path, admin, ""); r.status != 404 {
		t.Errorf("after delete = %d", r.status)
	}
	if r := do(t, ts, "GET", path, aliceTok, ""); r.status != 401 {
		t.Errorf("deleted user's token = %d, want 401", r.status)
	}
	_ = bob
}
