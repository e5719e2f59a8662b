package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
)

func TestLayering(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.toml")
	os.WriteFile(file, []byte("admin_token = \"from-file\"\n[http]\naddr = \"0.0.0.0:1\"\nread_timeout = \"5s\"\n[embedder]\ndim = 256\n"), 0o600)
	env := []string{"PAPERPICKS_HTTP_ADDR=0.0.0.0:2", "PAPERPICKS_EMBEDDER_BIGRAMS=true", "HOME=/root"}
	c, err := Load(file, env, Flags{"embedder.kind": "local", "http.addr": "127.0.0.1:3"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key       string
		got, want any
	}{
		{"default survives", c.Store.Driver, "sqlite"},
		{"file over default", c.Embedder.Dim, 256},
		{"file duration", c.HTTP.ReadTimeout, 5 * time.Second},
		{"env over default", c.Embedder.Bigrams, true},
		{"flag over env over file", c.HTTP.Addr, "127.0.0.1:3"},
		{"file only", c.AdminToken, "from-file"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.key, tt.got, tt.want)
		}
	}
}

func TestDataDirFileIsFound(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "paperpicks.toml"), []byte("[log]\nlevel = \"debug\"\n"), 0o600)
	c, err := Load("", nil, Flags{"data": dir})
	if err != nil || c.Log.Level != "debug" {
		t.Fatalf("Load = %+v, %v; want the data directory's file read", c, err)
	}
}

func TestBadInputNamesTheKey(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "u.toml")
	os.WriteFile(unknown, []byte("[http]\nadress = \"x\"\n"), 0o600)
	tests := []struct {
		name    string
		file    string
		env     []string
		flags   Flags
		mention string
	}{
		{"unknown file key", unknown, nil, nil, "http.adress"},
		{"unknown env var", "", []string{"PAPERPICKS_HTTP_ADRESS=x"}, nil, "PAPERPICKS_HTTP_ADRESS"},
		{"bad duration", "", []string{"PAPERPICKS_HTTP_READ_TIMEOUT=soon"}, nil, "http.read_timeout"},
		{"bad int", "", nil, Flags{"embedder.dim": "many"}, "embedder.dim"},
		{"bad driver", "", nil, Flags{"store.driver": "mysql"}, "store.driver"},
		{"postgres without url", "", nil, Flags{"store.driver": "postgres"}, "store.postgres_url"},
		{"bad embedder", "", nil, Flags{"embedder.kind": "bert"}, "embedder.kind"},
		{"dim out of range", "", []string{"PAPERPICKS_EMBEDDER_DIM=1"}, nil, "embedder.dim"},
		{"bad log level", "", nil, Flags{"log.level": "loud"}, "log.level"},
		{"negative rate limit", "", []string{"PAPERPICKS_HTTP_RATE_LIMIT=-1"}, nil, "http.rate_limit"},
		{"rate limit without burst", "", []string{"PAPERPICKS_HTTP_RATE_LIMIT=5", "PAPERPICKS_HTTP_RATE_BURST=0"}, nil, "http.rate_burst"},
		{"bad trusted proxy", "", []string{"PAPERPICKS_HTTP_TRUSTED_PROXIES=10.0.0.1, proxy.local"}, nil, "http.trusted_proxies"},
		{"missing file", filepath.Join(dir, "none.toml"), nil, nil, "none.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file, tt.env, tt.flags)
			if err == nil || !strings.Contains(err.Error(), tt.mention) || paperpicks.ErrorCode(err) != paperpicks.EINVALID {
				t.Errorf("error = %v, want an invalid error mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestEveryKeyIsDocumentedAndSettable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if k.Help == "" || seen[k.Env] {
			t.Errorf("key %s: help %q, duplicate env %v", k.Path, k.Help, seen[k.Env])
		}
		seen[k.Env] = true
		c := Default()
		// Setting a key to its own default must round-trip.
		if err := k.set(&c, k.Default); err != nil {
			t.Errorf("key %s cannot take its default %q: %v", k.Path, k.Default, err)
		}
	}
	if !strings.Contains(Markdown(), "`PAPERPICKS_ADMIN_TOKEN`") {
		t.Error("markdown table lacks the admin token")
	}
}
