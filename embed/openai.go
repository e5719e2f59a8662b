package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/paperpicks/paperpicks"
)

// OpenAIConfig configures an embedder for any OpenAI-compatible
// /v1/embeddings endpoint: OpenAI itself, Azure OpenAI's /openai/v1 API,
// Ollama, vLLM, llama.cpp's server or Hugging Face TEI.
type OpenAIConfig struct {
	// BaseURL is the API root that /embeddings is appended to, e.g.
	// https://api.openai.com/v1 or http://localhost:11434/v1.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>"; empty sends no header.
	APIKey string
	// Model is the model name the server knows, e.g. text-embedding-3-small.
	Model string
	// Dimensions asks the server for vectors of this length (OpenAI's
	// "dimensions"; text-embedding-3 models only). 0 means the model's native
	// size, which is known for OpenAI's models and probed for any other.
	Dimensions int
	// BatchSize is the number of texts per request, default 64. OpenAI accepts
	// at most 2048. Whatever BatchSize says, a request also stays under
	// OpenAI's 300,000 tokens summed over its inputs (by the estimate below).
	BatchSize int
	// MaxInputTokens is the longest text in tokens, default 8191; longer texts
	// are cut. Tokens are estimated without the model's tokenizer, on the safe
	// side: three ASCII letters, digits or spaces make a token (English
	// averages about four per token), and every other character (punctuation,
	// symbols, anything non-ASCII) is a token of its own. The cut falls on a
	// rune boundary, at the last whitespace when there is one in the kept
	// second half.
	MaxInputTokens int
	// Timeout bounds each request, default 30s.
	Timeout time.Duration
	// MaxRetries is how often a request is retried after 408, 429, 5xx or a
	// network error, default 4; negative disables retries. The waits grow
	// exponentially with jitter from 500ms, or follow the server's
	// Retry-After (or retry-after-ms) header when it sends one.
	MaxRetries int
	// HTTPClient sends the requests; nil means a plain &http.Client{}. Its own
	// Timeout, if any, applies on top of Timeout.
	HTTPClient *http.Client
}

const (
	openaiDefaultBatchSize      = 64
	openaiDefaultMaxInputTokens = 8191
	openaiDefaultTimeout        = 30 * time.Second
	openaiDefaultMaxRetries     = 4
	// openaiMaxRequestTokens is OpenAI's limit on the tokens summed over all
	// inputs of one embeddings request.
	openaiMaxRequestTokens = 300_000
	openaiInitialBackoff   = 500 * time.Millisecond
	openaiMaxBackoff       = 30 * time.Second
	// openaiMaxRetryAfter is the longest Retry-After we wait for; a server
	// asking for more gets its error returned at once.
	openaiMaxRetryAfter = 2 * time.Minute
	// openaiProbeText is embedded once to learn the size of an unknown model.
	openaiProbeText = "paperpicks dimension probe"
)

// openaiNativeDims are the vector sizes of OpenAI's embedding models.
var openaiNativeDims = map[string]int{
	string(openai.SmallEmbedding3): 1536,
	string(openai.LargeEmbedding3): 3072,
	string(openai.AdaEmbeddingV2):  1536,
}

// OpenAI embeds texts with an OpenAI-compatible embeddings endpoint. Its
// vectors are L2-normalized whether or not the server normalizes them. An
// empty or all-whitespace text, which the API rejects, is never sent and gets
// the zero vector. It is safe for concurrent use.
type OpenAI struct {
	client     *openai.Client
	host       string // BaseURL's host, named in every error
	model      string
	dimensions int // sent as "dimensions"; 0 sends none
	dim        int
	batchSize  int
	maxTokens  int
	timeout    time.Duration
	maxRetries int
	backoff    time.Duration // first retry wait; tests shorten it
}

var _ Embedder = (*OpenAI)(nil)

// NewOpenAI checks cfg and returns an embedder. When cfg.Dimensions is 0 and
// the model is not one of OpenAI's (text-embedding-3-small, -3-large,
// text-embedding-ada-002), it learns Dim by embedding one short probe text
// with ctx, so the endpoint must be reachable.
func NewOpenAI(ctx context.Context, cfg OpenAIConfig) (*OpenAI, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, paperpicks.FieldErrorf("base_url", "embedding base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		return nil, paperpicks.FieldErrorf("model", "embedding model is required")
	}
	if cfg.Dimensions < 0 {
		return nil, paperpicks.FieldErrorf("dimensions", "embedding dimensions must not be negative, got %d", cfg.Dimensions)
	}
	e := &OpenAI{
		host:       u.Host,
		model:      model,
		dimensions: cfg.Dimensions,
		dim:        cfg.Dimensions,
		batchSize:  cfg.BatchSize,
		maxTokens:  cfg.MaxInputTokens,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		backoff:    openaiInitialBackoff,
	}
	if native, ok := openaiNativeDims[model]; ok {
		switch {
		case cfg.Dimensions > native:
			return nil, paperpicks.FieldErrorf("dimensions", "model %s has %d dimensions, cannot ask for %d", model, native, cfg.Dimensions)
		case model == string(openai.AdaEmbeddingV2) && cfg.Dimensions != 0 && cfg.Dimensions != native:
			return nil, paperpicks.FieldErrorf("dimensions", "model %s does not support dimensions", model)
		case model == string(openai.AdaEmbeddingV2) || cfg.Dimensions == native:
			e.dimensions = 0 // the native size needs no parameter, and ada-002 rejects it
		}
		e.dim = native
		if cfg.Dimensions > 0 {
			e.dim = cfg.Dimensions
		}
	}
	if e.batchSize <= 0 {
		e.batchSize = openaiDefaultBatchSize
	}
	if e.maxTokens <= 0 {
		e.maxTokens = openaiDefaultMaxInputTokens
	}
	if e.timeout <= 0 {
		e.timeout = openaiDefaultTimeout
	}
	switch {
	case e.maxRetries == 0:
		e.maxRetries = openaiDefaultMaxRetries
	case e.maxRetries < 0:
		e.maxRetries = 0
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	oc.HTTPClient = headerRecorder{hc}
	e.client = openai.NewClientWithConfig(oc)

	if e.dim == 0 {
		vecs, err := e.embedBatch(ctx, []string{openaiProbeText})
		if err != nil {
			return nil, err
		}
		e.dim = len(vecs[0])
	}
	return e, nil
}

// Name is "openai/<model>/<dim>"; the host is left out, so the same model
// served by another server gives the same space.
func (e *OpenAI) Name() string { return "openai/" + e.model + "/" + strconv.Itoa(e.dim) }

// Dim is the length of every vector.
func (e *OpenAI) Dim() int { return e.dim }

// Embed returns one unit vector per text, in order, sending BatchSize texts
// per request. Texts longer than MaxInputTokens are cut first, and empty
// texts get the zero vector without a request. Errors are *paperpicks.Error
// naming the endpoint's host and carrying the server's message: ERATELIMIT
// after retried 429s, EUNAVAILABLE after retried 5xx or network errors,
// EINVALID for other 4xx, EMISMATCH for a vector of the wrong length.
func (e *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var (
		batch  []string
		at     []int // positions in out of batch's texts
		tokens int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return err
		}
		for j, v := range vecs {
			out[at[j]] = v
		}
		batch, at, tokens = batch[:0], at[:0], 0
		return nil
	}
	for i, text := range texts {
		if strings.TrimSpace(text) == "" {
			out[i] = make([]float32, e.dim)
			continue
		}
		text = truncateTokens(text, e.maxTokens)
		n := estimateTokens(text)
		if len(batch) > 0 && tokens+n > openaiMaxRequestTokens {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		batch = append(batch, text)
		at = append(at, i)
		tokens += n
		if len(batch) == e.batchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// embedBatch sends one request, retrying what may pass, and returns the
// checked, normalized vectors in input order. With e.dim 0 (probing) it
// accepts any non-zero length shared by all vectors.
func (e *OpenAI) embedBatch(ctx context.Context, inputs []string) ([][]float32, error) {
	req := openai.EmbeddingRequestStrings{
		Input:      inputs,
		Model:      openai.EmbeddingModel(e.model),
		Dimensions: e.dimensions,
	}
	for attempt := 1; ; attempt++ {
		res, header, err := e.send(ctx, req)
		if err == nil {
			return e.check(res, len(inputs))
		}
		if ctx.Err() != nil {
			return nil, e.canceled(ctx)
		}
		f := e.classify(err)
		if !f.retry || attempt > e.maxRetries {
			return nil, f.asError(e.host, attempt)
		}
		wait, given := retryAfter(header)
		if !given {
			wait = e.backoffDelay(attempt)
		} else if wait > openaiMaxRetryAfter {
			return nil, f.asError(e.host, attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, e.canceled(ctx)
		case <-t.C:
		}
	}
}

// send makes one attempt under the per-request timeout and returns the
// response headers, which go-openai keeps to itself when a request fails.
func (e *OpenAI) send(ctx context.Context, req openai.EmbeddingRequestStrings) (openai.EmbeddingResponse, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	rec := &recordedHeader{}
	res, err := e.client.CreateEmbeddings(context.WithValue(ctx, recordedHeaderKey{}, rec), req)
	return res, rec.h, err
}

func (e *OpenAI) canceled(ctx context.Context) error {
	return paperpicks.WrapError(paperpicks.EUNAVAILABLE, context.Cause(ctx), "embedding endpoint %s: request abandoned", e.host)
}

// check validates a response against the request: one vector per input,
// every index present once, every vector of the embedder's length and finite.
func (e *OpenAI) check(res openai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(res.Data) != n {
		return nil, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "embedding endpoint %s returned %d vectors for %d texts", e.host, len(res.Data), n)
	}
	want := e.dim
	if want == 0 {
		want = len(res.Data[0].Embedding)
		if want == 0 {
			return nil, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "embedding endpoint %s returned an empty vector for model %q", e.host, e.model)
		}
	}
	out := make([][]float32, n)
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "embedding endpoint %s returned a missing or repeated index %d for %d texts", e.host, d.Index, n)
		}
		if len(d.Embedding) != want {
			return nil, paperpicks.Errorf(paperpicks.EMISMATCH, "embedding endpoint %s returned a %d-dimensional vector from model %q, want %d", e.host, len(d.Embedding), e.model, want)
		}
		for _, x := range d.Embedding {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "embedding endpoint %s returned a vector with NaN or infinite values", e.host)
			}
		}
		out[d.Index] = Normalize(d.Embedding)
	}
	return out, nil
}

// backoffDelay is the wait before retry number attempt (1-based): the
// initial backoff doubled per attempt, capped, with "equal jitter" (half
// fixed, half random) so concurrent clients spread out.
func (e *OpenAI) backoffDelay(attempt int) time.Duration {
	d := e.backoff << min(attempt-1, 16)
	if d > openaiMaxBackoff || d <= 0 {
		d = openaiMaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter reads the server's wait: retry-after-ms (Azure, OpenAI), then
// Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && !math.IsInf(s, 0) {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// failure is a classified failed attempt.
type failure struct {
	status int    // HTTP status; 0 when no response arrived
	msg    string // the server's message, or what went wrong
	retry  bool
	err    error
}

// classify sorts a failed attempt into HTTP errors (with the server's
// message), network errors and timeouts (retried) and unreadable responses
// (not retried).
func (e *OpenAI) classify(err error) failure {
	if re, ok := errors.AsType[*openai.RequestError](err); ok {
		return failure{status: re.HTTPStatusCode, msg: serverMessage(re.Body, re.HTTPStatus), retry: retryableStatus(re.HTTPStatusCode), err: err}
	}
	if ae, ok := errors.AsType[*openai.APIError](err); ok && ae.HTTPStatusCode != 0 {
		msg := ae.Message
		if msg == "" {
			msg = ae.HTTPStatus
		}
		return failure{status: ae.HTTPStatusCode, msg: clip(msg), retry: retryableStatus(ae.HTTPStatusCode), err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return failure{msg: fmt.Sprintf("no answer within %s", e.timeout), retry: true, err: err}
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return failure{msg: "the response is not JSON", err: err}
	}
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return failure{msg: "the response is not an embeddings response", err: err}
	}
	return failure{msg: "unreachable", retry: true, err: err}
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

func (f failure) asError(host string, attempts int) error {
	tries := ""
	if attempts > 1 {
		tries = fmt.Sprintf(" after %d attempts", attempts)
	}
	switch {
	case f.status == http.StatusTooManyRequests:
		return paperpicks.WrapError(paperpicks.ERATELIMIT, f.err, "embedding endpoint %s: rate limited (HTTP 429)%s: %s", host, tries, f.msg)
	case f.status >= 400 && !f.retry:
		return paperpicks.WrapError(paperpicks.EINVALID, f.err, "embedding endpoint %s rejected the request (HTTP %d): %s", host, f.status, f.msg)
	case f.status != 0:
		return paperpicks.WrapError(paperpicks.EUNAVAILABLE, f.err, "embedding endpoint %s failed (HTTP %d)%s: %s", host, f.status, tries, f.msg)
	default:
		return paperpicks.WrapError(paperpicks.EUNAVAILABLE, f.err, "embedding endpoint %s%s: %s", host, tries, f.msg)
	}
}

// serverMessage digs the message out of an error body go-openai could not
// parse: {"error":"..."} (Ollama, TEI), {"message":"..."} (vLLM),
// {"detail":"..."} (FastAPI servers), or the text itself.
func serverMessage(body []byte, status string) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return clip(s)
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			return clip(obj.Message)
		case v.Message != "":
			return clip(v.Message)
		case json.Unmarshal(v.Detail, &s) == nil && s != "":
			return clip(s)
		case len(v.Detail) > 0:
			return clip(string(v.Detail))
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" && utf8.ValidString(s) {
		return clip(s)
	}
	return status
}

// clip keeps a server message short enough for an error.
func clip(s string) string {
	const limit = 500
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// tokenThirds is the estimated cost of r in thirds of a token: 1 for an
// ASCII letter, digit or space, 3 for anything else.
func tokenThirds(r rune) int {
	if r < utf8.RuneSelf && (r == ' ' || r == '\t' || r == '\n' || r == '\r' ||
		'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
		return 1
	}
	return 3
}

// estimateTokens over-estimates the tokens of text; see
// OpenAIConfig.MaxInputTokens.
func estimateTokens(text string) int {
	n := 0
	for _, r := range text {
		n += tokenThirds(r)
	}
	return (n + 2) / 3
}

// truncateTokens cuts text to at most maxTokens estimated tokens, at a rune
// boundary, at the last whitespace if that keeps more than half the cut.
func truncateTokens(text string, maxTokens int) string {
	budget := 3 * maxTokens
	n := 0
	for i, r := range text {
		n += tokenThirds(r)
		if n <= budget {
			continue
		}
		cut := text[:i]
		if j := strings.LastIndexFunc(cut, unicode.IsSpace); j > len(cut)/2 {
			cut = cut[:j]
		}
		return strings.TrimRightFunc(cut, unicode.IsSpace)
	}
	return text
}

// headerRecorder lets send see the response headers (Retry-After) of
// failed requests: it stores them in the recordedHeader in the request's
// context.
type headerRecorder struct{ c *http.Client }

type recordedHeaderKey struct{}

type recordedHeader struct{ h http.Header }

func (d headerRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if resp != nil {
		if rec, ok := req.Context().Value(recordedHeaderKey{}).(*recordedHeader); ok {
			rec.h = resp.Header
		}
	}
	return resp, err
}
