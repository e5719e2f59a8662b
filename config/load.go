package config

import (
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/paperpicks/paperpicks"
)

// Key describes one setting as the README table lists it.
type Key struct {
	Path    string // file key, e.g. "embedder.dim"
	Env     string // e.g. PAPERPICKS_EMBEDDER_DIM
	Flag    string // e.g. "embedder", or "" when there is no flag
	Default string
	Help    string
	Secret  bool
	index   []int
}

// Keys lists every setting in declaration order.
func Keys() []Key {
	var keys []Key
	def := reflect.ValueOf(Default())
	var walk func(t reflect.Type, prefix string, idx []int)
	walk = func(t reflect.Type, prefix string, idx []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := f.Tag.Get("toml")
			path := prefix + name
			fi := append(append([]int(nil), idx...), i)
			if f.Type.Kind() == reflect.Slice {
				continue // file-only lists ([[sources]]), documented apart
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
				walk(f.Type, path+".", fi)
				continue
			}
			keys = append(keys, Key{
				Path: path, Env: "PAPERPICKS_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_")),
				Flag: f.Tag.Get("flag"), Help: f.Tag.Get("help"), Secret: f.Tag.Get("secret") == "true",
				Default: format(def.FieldByIndex(fi)), index: fi,
			})
		}
	}
	walk(def.Type(), "", nil)
	return keys
}

func format(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	return fmt.Sprint(v.Interface())
}

// set parses s into the field of c that k names.
func (k Key) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	bad := func(want string) error {
		return paperpicks.FieldErrorf(k.Path, "%s: %q is not %s", k.Path, s, want)
	}
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad("a duration like 30s or 5m")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("an integer")
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("a number")
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("config: %s has unsupported type %s", k.Path, v.Type())
	}
	return nil
}

// Flags collects config flags given on a command line.
type Flags map[string]string

// Register adds a flag to fs for every key that has one; values land in f.
func (f Flags) Register(fs *flag.FlagSet) {
	for _, k := range Keys() {
		if k.Flag == "" {
			continue
		}
		if k.Path == "demo" {
			fs.BoolFunc(k.Flag, k.Help+" (default "+k.Default+")", func(s string) error { f[k.Path] = s; return nil })
			continue
		}
		fs.Func(k.Flag, k.Help+" (default "+k.Default+")", func(s string) error { f[k.Path] = s; return nil })
	}
}

// Load builds the configuration: defaults, then the file (when file is not
// empty, or when <data>/paperpicks.toml exists), then environ's PAPERPICKS_*
// variables, then flags; then it validates the result.
func Load(file string, environ []string, flags Flags) (*Config, error) {
	c := Default()
	keys := Keys()
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "PAPERPICKS_") {
			env[k] = v
		}
	}
	// The data directory decides where the default file is, so find it first.
	data := c.Data
	if v, ok := env["PAPERPICKS_DATA"]; ok {
		data = v
	}
	if v, ok := flags["data"]; ok {
		data = v
	}
	if file == "" {
		if p := data + "/paperpicks.toml"; fileExists(p) {
			file = p
		}
	}
	if file != "" {
		md, err := toml.DecodeFile(file, &c)
		if err != nil {
			return nil, paperpicks.WrapError(paperpicks.EINVALID, err, "config file %s", file)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return nil, paperpicks.Errorf(paperpicks.EINVALID, "config file %s: unknown key %q", file, und[0].String())
		}
	}
	known := map[string]bool{"PAPERPICKS_CONFIG": true, "PAPERPICKS_TEST_POSTGRES_URL": true}
	for _, k := range keys {
		known[k.Env] = true
		if v, ok := env[k.Env]; ok {
			if err := k.set(&c, v); err != nil {
				return nil, err
			}
		}
	}
	for name := range env {
		if !known[name] {
			return nil, paperpicks.Errorf(paperpicks.EINVALID, "unknown environment variable %s (see `paperpicks config`)", name)
		}
	}
	for _, k := range keys {
		if v, ok := flags[k.Path]; ok {
			if err := k.set(&c, v); err != nil {
				return nil, err
			}
		}
	}
	return &c, c.Validate()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Validate checks every value and names the first bad key.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return paperpicks.FieldErrorf(key, key+": "+format, args...)
	}
	switch {
	case c.Data == "":
		return bad("data", "must not be empty")
	case c.HTTP.Addr == "":
		return bad("http.addr", "must not be empty")
	case c.MemoryLimitMiB < 0:
		return bad("memory_limit_mib", "must not be negative, got %d", c.MemoryLimitMiB)
	case c.HTTP.MaxBodyBytes < 1024:
		return bad("http.max_body_bytes", "must be at least 1024, got %d", c.HTTP.MaxBodyBytes)
	case c.HTTP.ReadTimeout <= 0 || c.HTTP.WriteTimeout <= 0 || c.HTTP.IdleTimeout <= 0:
		return bad("http.read_timeout", "HTTP timeouts must be positive")
	case c.HTTP.RateLimit < 0 || math.IsNaN(c.HTTP.RateLimit) || math.IsInf(c.HTTP.RateLimit, 0):
		return bad("http.rate_limit", "must be a number of requests per second, 0 to disable, got %g", c.HTTP.RateLimit)
	case c.HTTP.RateLimit > 0 && c.HTTP.RateBurst < 1:
		return bad("http.rate_burst", "must be at least 1 when http.rate_limit is set, got %d", c.HTTP.RateBurst)
	case c.Store.Driver != "sqlite" && c.Store.Driver != "postgres":
		return bad("store.driver", "must be sqlite or postgres, got %q", c.Store.Driver)
	case c.Store.Driver == "postgres" && c.Store.PostgresURL == "":
		return bad("store.postgres_url", "is required when store.driver is postgres")
	case c.Embedder.Kind != "local" && c.Embedder.Kind != "openai":
		return bad("embedder.kind", "must be local or openai, got %q", c.Embedder.Kind)
	case c.Embedder.Dim < 2 || c.Embedder.Dim > 4096:
		return bad("embedder.dim", "must be in [2, 4096], got %d", c.Embedder.Dim)
	case c.Embedder.MaxFitDocs < 1:
		return bad("embedder.max_fit_docs", "must be positive, got %d", c.Embedder.MaxFitDocs)
	case c.Embedder.FirstFit < 1:
		return bad("embedder.first_fit_docs", "must be positive, got %d", c.Embedder.FirstFit)
	case c.Embedder.RefitFactor <= 1:
		return bad("embedder.refit_factor", "must be greater than 1, got %g", c.Embedder.RefitFactor)
	case c.Embedder.Kind == "openai" && c.Embedder.OpenAIModel == "":
		return bad("embedder.openai_model", "is required for the openai embedder")
	case c.Ingest.FetchTimeout <= 0:
		return bad("ingest.fetch_timeout", "must be positive")
	case c.Rank.Window <= 0:
		return bad("rank.window", "must be positive")
	case c.Rank.Diversity < 0 || c.Rank.Diversity >= 1:
		return bad("rank.diversity", "must be in [0, 1), got %g", c.Rank.Diversity)
	case c.Rank.TrendingDays < 1:
		return bad("rank.trending_days", "must be at least 1")
	case c.Rank.HalfLife < 0 || c.Rank.TrendingHalfLife < 0:
		return bad("rank.half_life", "half-lives must not be negative")
	}
	for _, p := range c.HTTP.Proxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return bad("http.trusted_proxies", "%q is not an IP address or CIDR", p)
			}
		}
	}
	if _, err := time.LoadLocation(c.Rank.TimeZone); err != nil || c.Rank.TimeZone == "" || c.Rank.TimeZone == "Local" {
		return bad("rank.time_zone", "%q is not an IANA time zone name", c.Rank.TimeZone)
	}
	for i, src := range c.Sources {
		if src.URL == "" {
			return bad("sources", "source %d has no url", i+1)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	return c.validateDelivery()
}

// Proxies returns http.trusted_proxies as a list.
func (h HTTP) Proxies() []string {
	var out []string
	for _, p := range strings.Split(h.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Markdown renders the key table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| file key | environment | flag | default | meaning |\n| --- | --- | --- | --- | --- |\n")
	for _, k := range Keys() {
		flagName := ""
		if k.Flag != "" {
			flagName = "`--" + k.Flag + "`"
		}
		def := k.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | `%s` | %s |\n", k.Path, k.Env, flagName, def, k.Help)
	}
	return b.String()
}

// Value returns the current value of key k in c, formatted like a default.
func Value(c *Config, k Key) string {
	return format(reflect.ValueOf(c).Elem().FieldByIndex(k.index))
}
