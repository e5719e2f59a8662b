package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPicksTrendingAdminRankAndMetrics(t *testing.T) {
	ts := newTestServer(t, 1<<20)
	alice, aliceTok := newUser(t, do(t, ts, "POST", "/v1/users", admin, `{"time_zone":"Asia/Tokyo","picks_per_day":4}`))
	bob, bobTok := newUser(t, do(t, ts, "POST", "/v1/users", admin, `{}`))
	for _, p := range []string{"sample-94b93732", "sample-fcd15905"} {
		if r := do(t, ts, "POST", "/v1/users/"+alice+"/feedback", aliceTok, fmt.Sprintf(`{"paper_id":%q,"value":"up"}`, p)); r.status != 200 {
			t.Fatalf("like = %d %s", r.status, r.raw)
		}
	}
	today := time.Now().UTC().Format("2006-01-02")
	if r := do(t, ts, "GET", "/v1/users/"+alice+"/picks?date="+today, aliceTok, ""); r.status != 404 || !strings.Contains(r.raw, "has not happened") {
		t.Errorf("picks before any run = %d %s, want 404 saying the run has not happened", r.status, r.raw)
	}
	if r := do(t, ts, "POST", "/v1/admin/rank?date="+today, aliceTok, ""); r.status != 403 {
		t.Errorf("admin rank with a user token = %d, want 403", r.status)
	}
	if r := do(t, ts, "POST", "/v1/admin/rank?date=yesterday", admin, ""); r.status != 400 {
		t.Errorf("admin rank with a bad date = %d, want 400", r.status)
	}
	r := do(t, ts, "POST", "/v1/admin/rank?date="+today, admin, "")
	if r.status != 200 || r.body["status"] != "ok" || r.body["users"] != float64(2) {
		t.Fatalf("admin rank = %d %s", r.status, r.raw)
	}

	r = do(t, ts, "GET", "/v1/users/"+alice+"/picks?date="+today, aliceTok, "")
	picks, _ := r.body["picks"].([]any)
	if r.status != 200 || len(picks) != 4 {
		t.Fatalf("alice's picks = %d %s", r.status, r.raw)
	}
	first := picks[0].(map[string]any)
	paper := first["paper"].(map[string]any)
	if first["kind"] != "personal" || first["reason"] == "" || first["reason_title"] == "" || paper["title"] == "" || first["rank"] != float64(1) {
		t.Errorf("first pick = %v", first)
	}
	r = do(t, ts, "GET", "/v1/users/"+bob+"/picks?date="+today, bobTok, "")
	picks, _ = r.body["picks"].([]any)
	if r.status != 200 || len(picks) != 10 || picks[0].(map[string]any)["kind"] != "trending" {
		t.Errorf("bob's picks (no likes: trending first) = %d %s", r.status, r.raw)
	}
	if r := do(t, ts, "GET", "/v1/users/"+alice+"/picks?date=2026-13-01", aliceTok, ""); r.status != 400 {
		t.Errorf("bad date = %d, want 400", r.status)
	}
	if r := do(t, ts, "GET", "/v1/users/"+alice+"/picks", bobTok, ""); r.status != 403 {
		t.Errorf("another user's picks = %d, want 403", r.status)
	}

	r = do(t, ts, "GET", "/v1/trending?k=5&days=7", "", "")
	papers, _ := r.body["papers"].([]any)
	if r.status != 200 || len(papers) != 2 || papers[0].(map[string]any)["votes"] != float64(1) {
		t.Errorf("trending = %d %s", r.status, r.raw)
	}
	if r := do(t, ts, "GET", "/v1/trending?days=0", "", ""); r.status != 400 {
		t.Errorf("trending days=0 = %d, want 400", r.status)
	}

	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`paperpicks_http_requests_total{method="POST",route="/v1/admin/rank",status="200"} 1`,
		`paperpicks_picks_served_total 14`,
		`paperpicks_index_papers 119`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
