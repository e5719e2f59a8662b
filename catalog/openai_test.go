package catalog_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/embed"
)

// fakeEmbeddings speaks OpenAI's /v1/embeddings wire format (the real API
// is not reachable from here): each word of an input adds to the dimension
// its hash picks, so texts sharing words are similar.
func fakeEmbeddings(t *testing.T, calls *atomic.Int64) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		calls.Add(1)
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		type datum struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		resp := struct {
			Object string  `json:"object"`
			Data   []datum `json:"data"`
			Model  string  `json:"model"`
		}{Object: "list", Model: req.Model}
		for i, in := range req.Input {
			v := make([]float32, 16)
			for _, word := range strings.Fields(strings.ToLower(in)) {
				h := fnv.New32a()
				h.Write([]byte(strings.Trim(word, ".,:;()")))
				v[h.Sum32()%16]++
			}
			resp.Data = append(resp.Data, datum{Object: "embedding", Index: i, Embedding: v})
		}
		json.NewEncoder(w).Encode(resp)
	}))
}

func TestOpenAIEmbedderCatalog(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	srv := fakeEmbeddings(t, &calls)
	defer srv.Close()
	s := openStore(t, t.TempDir())
	cfg := catalog.Config{Embedder: "openai", OpenAI: embed.OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "k", Model: "tiny-embed", Dimensions: 16}}
	c := openCatalog(t, s, cfg)
	papers := []paperpicks.Paper{
		{ID: "2401.00001", Title: "Protein folding with transformers", Abstract: "Attention models predict protein structure."},
		{ID: "2401.00002", Title: "Galaxy clusters", Abstract: "We observe galaxy clusters with telescopes."},
		{ID: "2401.00003", Title: "Protein structure prediction", Abstract: "Predict protein folding from sequence with attention."},
	}
	sum, err := c.IngestPapers(ctx, papers, "api")
	if err != nil || sum.Added != 3 {
		t.Fatalf("ingest = %+v, %v", sum, err)
	}
	if name := c.Space().Name(); name != "openai/tiny-embed/16" {
		t.Errorf("space = %s", name)
	}
	res, err := c.Similar(ctx, "2401.00001", 1)
	if err != nil || len(res) != 1 || res[0].ID != "2401.00003" {
		t.Errorf("Similar = %+v, %v; want the other protein paper", res, err)
	}
	before := calls.Load()
	// A reindex finds every vector current (and cached): nothing is sent.
	if err := c.Reindex(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before {
		t.Errorf("reindex called the endpoint %d times; every vector was current", calls.Load()-before)
	}
	// The same search twice is embedded once.
	c.Search(ctx, "protein attention", 2)
	c.Search(ctx, "protein attention", 2)
	if calls.Load() != before+1 {
		t.Errorf("two identical searches made %d calls, want 1", calls.Load()-before)
	}
	// A refit is refused: only the local embedder is fitted.
	if err := c.Reindex(ctx, true, nil); paperpicks.ErrorCode(err) != paperpicks.EINVALID {
		t.Errorf("refit of openai = %v, want invalid", err)
	}
}
