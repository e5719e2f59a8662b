package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paperpicks/paperpicks"
)

// embeddingsRequest is a request body as the fake server decodes it.
type embeddingsRequest struct {
	Model      string
	Input      []string
	Dimensions int // 0 when absent
}

// fakeOpenAI is an httptest server speaking OpenAI's /v1/embeddings wire
// format. It checks every request (method, path, auth, body) and answers
// with respond, or by default with un-normalized vectors of length dim in
// reversed index order.
type fakeOpenAI struct {
	t       *testing.T
	srv     *httptest.Server
	key     string
	model   string
	dims    int // the "dimensions" every request must carry; 0 = absent
	dim     int // length of the default vectors
	respond func(n int, req embeddingsRequest, w http.ResponseWriter) bool

	mu   sync.Mutex
	reqs []embeddingsRequest
}

func newFakeOpenAI(t *testing.T, model string, dims, dim int) *fakeOpenAI {
	t.Helper()
	f := &fakeOpenAI{t: t, key: "sk-test", model: model, dims: dims, dim: dim}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// setRespond replaces the default answer: respond returns false to fall
// back to it.
func (f *fakeOpenAI) setRespond(respond func(n int, req embeddingsRequest, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.respond = respond
}

func (f *fakeOpenAI) baseURL() string { return f.srv.URL + "/v1" }

func (f *fakeOpenAI) host() string {
	u, _ := url.Parse(f.srv.URL)
	return u.Host
}

func (f *fakeOpenAI) requests() []embeddingsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]embeddingsRequest(nil), f.reqs...)
}

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		t.Errorf("request %s %s, want POST /v1/embeddings", r.Method, r.URL.Path)
	}
	if got, want := r.Header.Get("Authorization"), "Bearer "+f.key; got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Errorf("body is not a JSON object: %v: %s", err, body)
		return
	}
	var req embeddingsRequest
	for k, v := range raw {
		switch k {
		case "model":
			err = json.Unmarshal(v, &req.Model)
		case "input":
			err = json.Unmarshal(v, &req.Input) // must be an array of strings
		case "dimensions":
			err = json.Unmarshal(v, &req.Dimensions)
			if err == nil && req.Dimensions <= 0 {
				err = fmt.Errorf("dimensions %d", req.Dimensions)
			}
		case "encoding_format":
			var s string
			if err = json.Unmarshal(v, &s); err == nil && s != "float" {
				err = fmt.Errorf("encoding_format %q", s)
			}
		default:
			err = fmt.Errorf("unexpected field")
		}
		if err != nil {
			t.Errorf("body field %q = %s: %v", k, v, err)
		}
	}
	if req.Model != f.model {
		t.Errorf("model %q, want %q", req.Model, f.model)
	}
	if req.Dimensions != f.dims {
		t.Errorf("dimensions %d, want %d", req.Dimensions, f.dims)
	}
	if len(req.Input) == 0 {
		t.Errorf("input is empty or missing: %s", body)
	}
	for _, in := range req.Input {
		if in == "" {
			t.Errorf("empty string in input")
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	n := len(f.reqs)
	respond := f.respond
	f.mu.Unlock()
	if respond != nil && respond(n, req, w) {
		return
	}
	writeEmbeddings(w, req, f.dim, true)
}

// fakeVector is the un-normalized vector the fake server gives text.
func fakeVector(text string, dim int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	v := make([]float32, dim)
	for i := range v {
		v[i] = rng.Float32()*10 - 3
	}
	return v
}

// writeEmbeddings answers req in OpenAI's format, data reversed if asked.
func writeEmbeddings(w http.ResponseWriter, req embeddingsRequest, dim int, reversed bool) {
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]datum, len(req.Input))
	for i, in := range req.Input {
		j := i
		if reversed {
			j = len(req.Input) - 1 - i
		}
		data[j] = datum{Object: "embedding", Index: i, Embedding: fakeVector(in, dim)}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": 5 * len(req.Input), "total_tokens": 5 * len(req.Input)},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// openaiError is OpenAI's error body.
func openaiError(msg, typ string) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}}
}

func newTestOpenAI(t *testing.T, f *fakeOpenAI, cfg OpenAIConfig) *OpenAI {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = f.baseURL()
	}
	cfg.APIKey = f.key
	cfg.Model = f.model
	e, err := NewOpenAI(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	e.backoff = time.Millisecond
	return e
}

// assertVectors checks got holds the normalized fake vectors of texts, and
// zero vectors for blank texts.
func assertVectors(t *testing.T, texts []string, got [][]float32, dim int) {
	t.Helper()
	if len(got) != len(texts) {
		t.Errorf("got %d vectors for %d texts", len(got), len(texts))
		return
	}
	for i, text := range texts {
		if len(got[i]) != dim {
			t.Errorf("vector %d has length %d, want %d", i, len(got[i]), dim)
			return
		}
		want := make([]float32, dim)
		if strings.TrimSpace(text) != "" {
			want = Normalize(fakeVector(text, dim))
			if n := norm(got[i]); math.Abs(n-1) > 1e-5 {
				t.Errorf("vector %d has norm %v, want 1", i, n)
			}
		}
		for j := range want {
			if math.Abs(float64(got[i][j]-want[j])) > 1e-6 {
				t.Errorf("vector %d (%q) = %v…, want %v…", i, text, got[i][:3], want[:3])
				return
			}
		}
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestOpenAIEmbed(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		cfgDims   int
		sentDims  int
		dim       int
		wantName  string
		wantProbe bool
	}{
		{"known model, reduced dimensions", "text-embedding-3-small", 8, 8, 8, "openai/text-embedding-3-small/8", false},
		{"known model, native size", "text-embedding-ada-002", 0, 0, 1536, "openai/text-embedding-ada-002/1536", false},
		{"other model, dimensions given", "BAAI/bge-m3", 16, 16, 16, "openai/BAAI/bge-m3/16", false},
		{"other model, probed", "nomic-embed-text:latest", 0, 0, 24, "openai/nomic-embed-text:latest/24", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOpenAI(t, tt.model, tt.sentDims, tt.dim)
			e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: tt.cfgDims})
			e.backoff = time.Hour // only the server's Retry-After can make the retry quick
			if e.Dim() != tt.dim || e.Name() != tt.wantName {
				t.Fatalf("Dim, Name = %d, %q; want %d, %q", e.Dim(), e.Name(), tt.dim, tt.wantName)
			}
			probes := len(f.requests())
			if tt.wantProbe != (probes == 1) || probes > 1 {
				t.Fatalf("NewOpenAI sent %d requests, want probe %v", probes, tt.wantProbe)
			}

			first := probes + 1
			f.setRespond(func(n int, _ embeddingsRequest, w http.ResponseWriter) bool {
				if n != first {
					return false
				}
				w.Header().Set("Retry-After", "0")
				writeJSON(w, http.StatusTooManyRequests, openaiError("Rate limit reached for requests", "requests"))
				return true
			})
			texts := []string{"attention is all you need", "", "graph neural networks", "  ", "diffusion models beat GANs"}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			got, err := e.Embed(ctx, texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			assertVectors(t, texts, got, tt.dim)

			reqs := f.requests()[probes:]
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2 (a 429, then the retry)", len(reqs))
			}
			want := []string{texts[0], texts[2], texts[4]} // blank texts are not sent
			for _, r := range reqs {
				if strings.Join(r.Input, "|") != strings.Join(want, "|") {
					t.Errorf("input %q, want %q", r.Input, want)
				}
			}
		})
	}
}

func TestOpenAIProbeText(t *testing.T) {
	f := newFakeOpenAI(t, "all-minilm", 0, 6)
	newTestOpenAI(t, f, OpenAIConfig{})
	reqs := f.requests()
	if len(reqs) != 1 || len(reqs[0].Input) != 1 || reqs[0].Input[0] == "" {
		t.Fatalf("probe requests = %+v, want one with one text", reqs)
	}
}

func TestOpenAIProbeFails(t *testing.T) {
	f := newFakeOpenAI(t, "no-such-model", 0, 6)
	f.setRespond(func(_ int, _ embeddingsRequest, w http.ResponseWriter) bool {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": `model "no-such-model" not found, try pulling it first`})
		return true
	})
	_, err := NewOpenAI(t.Context(), OpenAIConfig{BaseURL: f.baseURL(), APIKey: f.key, Model: f.model})
	assertError(t, err, paperpicks.EINVALID, f.host(), "try pulling it first")
}

func TestOpenAIBatching(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	// a trailing slash on BaseURL is fine
	e := newTestOpenAI(t, f, OpenAIConfig{BaseURL: f.baseURL() + "/", Dimensions: 4, BatchSize: 64})
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprintf("paper %d about topic %d", i, i%7)
	}
	got, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	assertVectors(t, texts, got, 4)
	var sizes []int
	for _, r := range f.requests() {
		sizes = append(sizes, len(r.Input))
	}
	if fmt.Sprint(sizes) != "[64 64 22]" {
		t.Errorf("batch sizes %v, want [64 64 22]", sizes)
	}
}

func TestOpenAIRequestTokenCap(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4})
	long := strings.Repeat("token ", 4000) // 24,000 bytes, 8,000 estimated tokens
	texts := make([]string, 40)
	for i := range texts {
		texts[i] = fmt.Sprintf("%d %s", i, long)
	}
	got, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	assertVectors(t, texts, got, 4)
	reqs := f.requests()
	if len(reqs) < 2 {
		t.Fatalf("%d requests, want the 40 long texts split to stay under %d tokens", len(reqs), openaiMaxRequestTokens)
	}
	for _, r := range reqs {
		total := 0
		for _, in := range r.Input {
			total += estimateTokens(in)
		}
		if total > openaiMaxRequestTokens {
			t.Errorf("request of %d texts has %d estimated tokens", len(r.Input), total)
		}
	}
}

func TestOpenAITruncatesLongText(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4, MaxInputTokens: 100})
	long := strings.Repeat("transformers ", 1000)
	if _, err := e.Embed(t.Context(), []string{"short", long}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	sent := f.requests()[0].Input
	if sent[0] != "short" {
		t.Errorf("short text sent as %q", sent[0])
	}
	cut := sent[1]
	if len(cut) == 0 || len(cut) >= len(long) || !strings.HasPrefix(long, cut) {
		t.Fatalf("long text sent as %d bytes, want a shorter prefix of %d bytes", len(cut), len(long))
	}
	if n := estimateTokens(cut); n > 100 || n < 80 {
		t.Errorf("sent text has %d estimated tokens, want 80..100", n)
	}
	if !strings.HasSuffix(cut, "transformers") {
		t.Errorf("cut inside a word: …%q", cut[len(cut)-20:])
	}
}

func TestTruncateTokens(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		maxTokens int
		want      string
	}{
		{"short text kept", "hello world", 10, "hello world"},
		{"exact fit kept", "abcdef", 2, "abcdef"},
		{"cut at whitespace", "aaa bbb ccc ddd", 3, "aaa bbb"},
		{"no whitespace: cut at the limit", "abcdefghijkl", 2, "abcdef"},
		{"punctuation costs a token each", "a.b.c.d.e.f", 3, "a.b.c"},
		{"non-ASCII costs a token per rune", "日本語のテキスト", 3, "日本語"},
		{"whitespace far back is not used", "a bcdefghijklmnop", 3, "a bcdefgh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncateTokens(tt.text, tt.maxTokens)
			if got != tt.want {
				t.Errorf("truncateTokens(%q, %d) = %q, want %q", tt.text, tt.maxTokens, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("cut inside a rune: %q", got)
			}
			if n := estimateTokens(got); n > tt.maxTokens {
				t.Errorf("kept %d estimated tokens, want at most %d", n, tt.maxTokens)
			}
		})
	}
}

func TestOpenAIErrors(t *testing.T) {
	const dim = 4
	tests := []struct {
		name         string
		respond      func(n int, req embeddingsRequest, w http.ResponseWriter)
		wantCode     string
		wantRequests int // with MaxRetries 2
		wantMsg      string
	}{
		{
			name: "5xx retried, then unavailable",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				writeJSON(w, http.StatusServiceUnavailable, openaiError("The server is overloaded or not ready yet.", "server_error"))
			},
			wantCode: paperpicks.EUNAVAILABLE, wantRequests: 3, wantMsg: "The server is overloaded",
		},
		{
			name: "5xx with an HTML body",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
			},
			wantCode: paperpicks.EUNAVAILABLE, wantRequests: 3, wantMsg: "502 Bad Gateway",
		},
		{
			name: "429 retried, then rate limited",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				w.Header().Set("Retry-After-Ms", "1")
				writeJSON(w, http.StatusTooManyRequests, openaiError("Rate limit reached for text-embedding-3-small", "tokens"))
			},
			wantCode: paperpicks.ERATELIMIT, wantRequests: 3, wantMsg: "Rate limit reached",
		},
		{
			name: "400 not retried",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				writeJSON(w, http.StatusBadRequest, openaiError("'$.input' is invalid. Please check the API reference.", "invalid_request_error"))
			},
			wantCode: paperpicks.EINVALID, wantRequests: 1, wantMsg: "'$.input' is invalid",
		},
		{
			name: "401 not retried",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				writeJSON(w, http.StatusUnauthorized, openaiError("Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error"))
			},
			wantCode: paperpicks.EINVALID, wantRequests: 1, wantMsg: "Incorrect API key provided",
		},
		{
			name: "vLLM-style error body",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"object": "error", "message": "This model's maximum context length is 512 tokens", "type": "BadRequestError", "code": 400})
			},
			wantCode: paperpicks.EINVALID, wantRequests: 1, wantMsg: "maximum context length is 512",
		},
		{
			name: "too few vectors",
			respond: func(_ int, req embeddingsRequest, w http.ResponseWriter) {
				req.Input = req.Input[1:]
				writeEmbeddings(w, req, dim, false)
			},
			wantCode: paperpicks.EUNAVAILABLE, wantRequests: 1, wantMsg: "returned 1 vectors for 2 texts",
		},
		{
			name: "wrong dimension",
			respond: func(_ int, req embeddingsRequest, w http.ResponseWriter) {
				writeEmbeddings(w, req, dim+1, false)
			},
			wantCode: paperpicks.EMISMATCH, wantRequests: 1, wantMsg: "5-dimensional vector",
		},
		{
			name: "repeated index",
			respond: func(_ int, req embeddingsRequest, w http.ResponseWriter) {
				v := fakeVector("x", dim)
				writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{
					{"object": "embedding", "index": 0, "embedding": v},
					{"object": "embedding", "index": 0, "embedding": v},
				}})
			},
			wantCode: paperpicks.EUNAVAILABLE, wantRequests: 1, wantMsg: "repeated index",
		},
		{
			name: "not JSON",
			respond: func(_ int, _ embeddingsRequest, w http.ResponseWriter) {
				io.WriteString(w, "<html>Open WebUI</html>")
			},
			wantCode: paperpicks.EUNAVAILABLE, wantRequests: 1, wantMsg: "not JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOpenAI(t, "text-embedding-3-small", dim, dim)
			f.setRespond(func(n int, req embeddingsRequest, w http.ResponseWriter) bool {
				tt.respond(n, req, w)
				return true
			})
			e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: dim, MaxRetries: 2})
			got, err := e.Embed(t.Context(), []string{"first text", "second text"})
			if got != nil {
				t.Errorf("got vectors %v with an error", got)
			}
			assertError(t, err, tt.wantCode, f.host(), tt.wantMsg)
			if n := len(f.requests()); n != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// assertError checks err is a *paperpicks.Error with code whose client-safe
// message names the host and contains msg.
func assertError(t *testing.T, err error, code, host, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if _, ok := errors.AsType[*paperpicks.Error](err); !ok {
		t.Fatalf("error %T %v is not a *paperpicks.Error", err, err)
	}
	if got := paperpicks.ErrorCode(err); got != code {
		t.Errorf("code %q, want %q (%v)", got, code, err)
	}
	m := paperpicks.ErrorMessage(err)
	if !strings.Contains(m, host) || !strings.Contains(m, msg) {
		t.Errorf("message %q, want the host %q and %q", m, host, msg)
	}
}

func TestOpenAIUnreachable(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4, MaxRetries: 1})
	f.srv.Close()
	_, err := e.Embed(t.Context(), []string{"text"})
	assertError(t, err, paperpicks.EUNAVAILABLE, f.host(), "after 2 attempts")
}

func TestOpenAIRequestTimeoutRetried(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	f.setRespond(func(n int, _ embeddingsRequest, w http.ResponseWriter) bool {
		if n == 1 {
			time.Sleep(300 * time.Millisecond) // past the client's timeout
			return true
		}
		return false
	})
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4, Timeout: 50 * time.Millisecond})
	texts := []string{"slow server"}
	got, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	assertVectors(t, texts, got, 4)
	if n := len(f.requests()); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestOpenAIHonoursRetryAfter(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	f.setRespond(func(n int, _ embeddingsRequest, w http.ResponseWriter) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After-Ms", "200")
		writeJSON(w, http.StatusTooManyRequests, openaiError("slow down", "requests"))
		return true
	})
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4}) // backoff 1ms
	start := time.Now()
	if _, err := e.Embed(t.Context(), []string{"text"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("retried after %v, want the server's 200ms", took)
	}
}

func TestOpenAICancelDuringBackoff(t *testing.T) {
	tests := []struct {
		name    string
		backoff time.Duration
		respond func(w http.ResponseWriter)
	}{
		{"waiting for Retry-After", time.Millisecond, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, http.StatusTooManyRequests, openaiError("Rate limit reached", "requests"))
		}},
		{"waiting for backoff", time.Minute, func(w http.ResponseWriter) {
			writeJSON(w, http.StatusInternalServerError, openaiError("boom", "server_error"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
			f.setRespond(func(_ int, _ embeddingsRequest, w http.ResponseWriter) bool {
				tt.respond(w)
				return true
			})
			e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4})
			e.backoff = tt.backoff
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := e.Embed(ctx, []string{"text"})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Embed returned %v after cancel", took)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name, header, value string
		want                time.Duration
		wantOK              bool
	}{
		{"absent", "", "", 0, false},
		{"zero seconds", "Retry-After", "0", 0, true},
		{"seconds", "Retry-After", "2", 2 * time.Second, true},
		{"fractional seconds", "Retry-After", "1.5", 1500 * time.Millisecond, true},
		{"past date", "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", 0, true},
		{"milliseconds", "Retry-After-Ms", "250", 250 * time.Millisecond, true},
		{"garbage", "Retry-After", "soon", 0, false},
		{"negative", "Retry-After", "-3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set(tt.header, tt.value)
			}
			got, ok := retryAfter(h)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter(%s: %q) = %v, %v; want %v, %v", tt.header, tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	if got, ok := retryAfter(http.Header{"Retry-After": {future}}); !ok || got < 59*time.Minute {
		t.Errorf("retryAfter(%q) = %v, %v; want about an hour", future, got, ok)
	}
}

func TestOpenAIBackoffDelay(t *testing.T) {
	e := &OpenAI{backoff: openaiInitialBackoff}
	for attempt, base := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		for range 20 {
			d := e.backoffDelay(attempt + 1)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d waits %v, want %v..%v", attempt+1, d, base/2, base)
			}
		}
	}
	if d := e.backoffDelay(40); d > openaiMaxBackoff {
		t.Errorf("attempt 40 waits %v, want at most %v", d, openaiMaxBackoff)
	}
}

func TestNewOpenAIConfig(t *testing.T) {
	tests := []struct {
		name      string
		cfg       OpenAIConfig
		wantField string // "" = valid
		wantDim   int
	}{
		{"3-small native", OpenAIConfig{Model: "text-embedding-3-small"}, "", 1536},
		{"3-large native", OpenAIConfig{Model: "text-embedding-3-large"}, "", 3072},
		{"3-large shortened", OpenAIConfig{Model: "text-embedding-3-large", Dimensions: 256}, "", 256},
		{"ada-002", OpenAIConfig{Model: "text-embedding-ada-002"}, "", 1536},
		{"https", OpenAIConfig{BaseURL: "https://example.openai.azure.com/openai/v1", Model: "text-embedding-3-small"}, "", 1536},
		{"no scheme", OpenAIConfig{BaseURL: "localhost:11434/v1", Model: "text-embedding-3-small"}, "base_url", 0},
		{"ftp", OpenAIConfig{BaseURL: "ftp://example.com/v1", Model: "text-embedding-3-small"}, "base_url", 0},
		{"empty URL", OpenAIConfig{BaseURL: " ", Model: "text-embedding-3-small"}, "base_url", 0},
		{"no model", OpenAIConfig{Model: "  "}, "model", 0},
		{"negative dimensions", OpenAIConfig{Model: "custom", Dimensions: -1}, "dimensions", 0},
		{"too many dimensions", OpenAIConfig{Model: "text-embedding-3-small", Dimensions: 4096}, "dimensions", 0},
		{"ada-002 cannot shorten", OpenAIConfig{Model: "text-embedding-ada-002", Dimensions: 512}, "dimensions", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.BaseURL == "" {
				tt.cfg.BaseURL = "http://127.0.0.1:1/v1" // never contacted
			}
			e, err := NewOpenAI(t.Context(), tt.cfg)
			if tt.wantField != "" {
				if paperpicks.ErrorCode(err) != paperpicks.EINVALID || paperpicks.ErrorField(err) != tt.wantField {
					t.Fatalf("error %v (field %q), want EINVALID on %q", err, paperpicks.ErrorField(err), tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewOpenAI: %v", err)
			}
			if e.Dim() != tt.wantDim {
				t.Errorf("Dim = %d, want %d", e.Dim(), tt.wantDim)
			}
			if want := fmt.Sprintf("openai/%s/%d", tt.cfg.Model, tt.wantDim); e.Name() != want {
				t.Errorf("Name = %q, want %q", e.Name(), want)
			}
		})
	}
}

func TestOpenAIConcurrent(t *testing.T) {
	f := newFakeOpenAI(t, "text-embedding-3-small", 4, 4)
	e := newTestOpenAI(t, f, OpenAIConfig{Dimensions: 4, BatchSize: 3})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			texts := []string{fmt.Sprintf("a%d", g), fmt.Sprintf("b%d", g), fmt.Sprintf("c%d", g), fmt.Sprintf("d%d", g)}
			got, err := e.Embed(t.Context(), texts)
			if err != nil {
				t.Errorf("Embed: %v", err)
				return
			}
			assertVectors(t, texts, got, 4)
		})
	}
	wg.Wait()
}
