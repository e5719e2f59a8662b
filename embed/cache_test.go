package embed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paperpicks/paperpicks"
)

// countingEmbedder records what it is asked to embed. Its vectors are the
// normalized fake vectors of the texts, of length outDim (default dim).
type countingEmbedder struct {
	name   string
	dim    int
	outDim int

	mu    sync.Mutex
	calls [][]string
}

func (c *countingEmbedder) Name() string { return c.name }
func (c *countingEmbedder) Dim() int     { return c.dim }

func (c *countingEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.calls = append(c.calls, slices.Clone(texts))
	c.mu.Unlock()
	n := c.dim
	if c.outDim != 0 {
		n = c.outDim
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = Normalize(fakeVector(t, n))
	}
	return out, nil
}

func (c *countingEmbedder) embedded() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// mustEmbed embeds texts with e and checks the vectors are the fake ones.
func mustEmbed(t *testing.T, e Embedder, texts ...string) [][]float32 {
	t.Helper()
	got, err := e.Embed(t.Context(), texts)
	if err != nil {
		t.Fatalf("Embed(%q): %v", texts, err)
	}
	assertVectors(t, texts, got, e.Dim())
	return got
}

func TestCachedSkipsKnownTexts(t *testing.T) {
	inner := &countingEmbedder{name: "count/4", dim: 4}
	cache := NewMemoryCache(100)
	e := Cached(inner, cache)
	if e.Name() != "count/4" || e.Dim() != 4 {
		t.Fatalf("Name, Dim = %q, %d; want the inner embedder's", e.Name(), e.Dim())
	}
	mustEmbed(t, e, "alpha", "beta")
	mustEmbed(t, e, "beta", "alpha")
	mustEmbed(t, e, "alpha", "gamma")
	want := [][]string{{"alpha", "beta"}, {"gamma"}}
	if got := inner.embedded(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("inner embedder saw %q, want %q", got, want)
	}
	if cache.Len() != 3 {
		t.Errorf("cache holds %d vectors, want 3", cache.Len())
	}
}

func TestCachedDedupesWithinCall(t *testing.T) {
	inner := &countingEmbedder{name: "count/4", dim: 4}
	e := Cached(inner, NewMemoryCache(100))
	got := mustEmbed(t, e, "same", "other", "same", "same")
	if calls := inner.embedded(); fmt.Sprint(calls) != "[[same other]]" {
		t.Errorf("inner embedder saw %q, want [[same other]]", calls)
	}
	got[0][0] = 42 // each position owns its vector
	if got[2][0] == 42 || got[3][0] == 42 {
		t.Error("duplicate texts share one vector slice")
	}
}

func TestCachedReembedsWrongLength(t *testing.T) {
	inner := &countingEmbedder{name: "count/4", dim: 4}
	cache := NewMemoryCache(100)
	stale := map[string][]float32{
		paperpicks.TextHash("alpha"): {1, 0, 0},       // too short
		paperpicks.TextHash("beta"):  {0, 0, 0, 0, 1}, // too long
	}
	if err := cache.StoreEmbeddings(t.Context(), "count/4", stale); err != nil {
		t.Fatal(err)
	}
	mustEmbed(t, Cached(inner, cache), "alpha", "beta")
	if calls := inner.embedded(); fmt.Sprint(calls) != "[[alpha beta]]" {
		t.Errorf("inner embedder saw %q, want [[alpha beta]]", calls)
	}
	fixed, _ := cache.LoadEmbeddings(t.Context(), "count/4", []string{paperpicks.TextHash("alpha"), paperpicks.TextHash("beta")})
	for h, v := range fixed {
		if len(v) != 4 {
			t.Errorf("cache still holds a %d-dimensional vector for %s", len(v), h)
		}
	}
}

func TestCachedKeepsSpacesApart(t *testing.T) {
	cache := NewMemoryCache(100)
	a := &countingEmbedder{name: "a/4", dim: 4}
	b := &countingEmbedder{name: "b/4", dim: 4}
	mustEmbed(t, Cached(a, cache), "text")
	mustEmbed(t, Cached(b, cache), "text")
	if len(a.embedded()) != 1 || len(b.embedded()) != 1 {
		t.Errorf("calls a=%q b=%q, want one each: a space's vectors must not serve another", a.embedded(), b.embedded())
	}
}

func TestCachedErrors(t *testing.T) {
	boom := errors.New("database is locked")
	tests := []struct {
		name     string
		inner    *countingEmbedder
		cache    Cache
		wantIs   error
		wantCode string
	}{
		{"load fails", &countingEmbedder{name: "c/4", dim: 4}, failingCache{loadErr: boom}, boom, paperpicks.EINTERNAL},
		{"store fails", &countingEmbedder{name: "c/4", dim: 4}, failingCache{storeErr: boom}, boom, paperpicks.EINTERNAL},
		{"inner returns wrong length", &countingEmbedder{name: "c/4", dim: 4, outDim: 3}, NewMemoryCache(10), nil, paperpicks.EMISMATCH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cached(tt.inner, tt.cache).Embed(t.Context(), []string{"x", "y"})
			if err == nil {
				t.Fatalf("got %v, want an error", got)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if code := paperpicks.ErrorCode(err); code != tt.wantCode {
				t.Errorf("code %q, want %q (%v)", code, tt.wantCode, err)
			}
		})
	}
}

type failingCache struct{ loadErr, storeErr error }

func (f failingCache) LoadEmbeddings(context.Context, string, []string) (map[string][]float32, error) {
	return nil, f.loadErr
}

func (f failingCache) StoreEmbeddings(context.Context, string, map[string][]float32) error {
	return f.storeErr
}

func TestCachedEmpty(t *testing.T) {
	inner := &countingEmbedder{name: "count/4", dim: 4}
	got, err := Cached(inner, failingCache{loadErr: errors.New("not called")}).Embed(t.Context(), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Embed(nil) = %v, %v; want no vectors, no error", got, err)
	}
}

func TestCachedConcurrent(t *testing.T) {
	inner := &countingEmbedder{name: "count/4", dim: 4}
	e := Cached(inner, NewMemoryCache(50))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				texts := []string{fmt.Sprint("t", i%30), fmt.Sprint("t", (i+g)%30)}
				got, err := e.Embed(t.Context(), texts)
				if err != nil {
					t.Errorf("Embed: %v", err)
					return
				}
				assertVectors(t, texts, got, 4)
			}
		})
	}
	wg.Wait()
}

func TestMemoryCacheLRU(t *testing.T) {
	ctx := t.Context()
	m := NewMemoryCache(2)
	store := func(h string, v float32) {
		t.Helper()
		if err := m.StoreEmbeddings(ctx, "s", map[string][]float32{h: {v}}); err != nil {
			t.Fatal(err)
		}
	}
	store("a", 1)
	store("b", 2)
	if _, err := m.LoadEmbeddings(ctx, "s", []string{"a"}); err != nil { // a is now the most recent
		t.Fatal(err)
	}
	store("c", 3) // evicts b
	got, _ := m.LoadEmbeddings(ctx, "s", []string{"a", "b", "c"})
	if fmt.Sprint(got) != "map[a:[1] c:[3]]" || m.Len() != 2 {
		t.Errorf("after eviction: %v (len %d), want map[a:[1] c:[3]]", got, m.Len())
	}

	got["a"][0] = 99 // callers own what they load
	again, _ := m.LoadEmbeddings(ctx, "s", []string{"a"})
	if again["a"][0] != 1 {
		t.Errorf("a changed to %v through a loaded copy", again["a"])
	}
	in := []float32{5}
	m.StoreEmbeddings(ctx, "s", map[string][]float32{"a": in}) // replaces a
	in[0] = 6
	again, _ = m.LoadEmbeddings(ctx, "s", []string{"a"})
	if again["a"][0] != 5 {
		t.Errorf("a = %v, want the stored [5] unchanged by its caller", again["a"])
	}
	if other, _ := m.LoadEmbeddings(ctx, "other", []string{"a"}); len(other) != 0 {
		t.Errorf("space other sees %v", other)
	}
}

func TestNewMemoryCacheDefault(t *testing.T) {
	if m := NewMemoryCache(0); m.max != defaultMemoryCacheEntries {
		t.Errorf("NewMemoryCache(0) holds %d, want %d", m.max, defaultMemoryCacheEntries)
	}
}

func TestCheckSpace(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		wantErr   bool
	}{
		{"same space", "openai/text-embedding-3-small/1536", "openai/text-embedding-3-small/1536", false},
		{"other model", "openai/text-embedding-3-small/1536", "openai/text-embedding-3-large/3072", true},
		{"other size", "openai/text-embedding-3-large/3072", "openai/text-embedding-3-large/256", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSpace(tt.want, tt.got)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("CheckSpace: %v", err)
				}
				return
			}
			if paperpicks.ErrorCode(err) != paperpicks.EMISMATCH {
				t.Fatalf("error %v, want code %s", err, paperpicks.EMISMATCH)
			}
			msg := paperpicks.ErrorMessage(err)
			for _, s := range []string{tt.want, tt.got, "paperpicks reindex"} {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
		})
	}
}
