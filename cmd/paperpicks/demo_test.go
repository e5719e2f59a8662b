package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/paperpicks/paperpicks/config"
)

func demoApp(t *testing.T, data string, flags config.Flags) *app {
	t.Helper()
	flags["data"] = data
	cfg, err := config.Load("", []string{"PAPERPICKS_LOG_LEVEL=warn"}, flags)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a, err := openApp(context.Background(), &env{cfg: cfg, stdout: &out, stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestFirstStartDemo(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	a := demoApp(t, data, config.Flags{})
	demo, err := a.firstStart(ctx)
	if err != nil || demo == nil || demo.Token == "" {
		t.Fatalf("first start: %+v, %v; want a demo user", demo, err)
	}
	if n, _ := a.store.CountPapers(ctx); n != 119 {
		t.Errorf("sample catalog: %d papers", n)
	}
	picks, err := a.store.GetPicks(ctx, demo.ID, demo.Date)
	if err != nil || len(picks) != 10 || picks[0].Reason == "" {
		t.Errorf("demo picks = %+v, %v", picks, err)
	}
	if u, err := a.users.Authenticate(ctx, demo.Token); err != nil || u.ID != demo.ID {
		t.Errorf("demo token does not authenticate: %v", err)
	}
	a.Close()

	// A second start of the same directory does nothing of the kind.
	a = demoApp(t, data, config.Flags{})
	if demo, err := a.firstStart(ctx); err != nil || demo != nil {
		t.Errorf("second start: %+v, %v; want no demo", demo, err)
	}
	if us, _ := a.store.ListUsers(ctx); len(us) != 1 {
		t.Errorf("%d users after the second start, want the one demo user", len(us))
	}
}

func TestNoDemo(t *testing.T) {
	ctx := context.Background()
	a := demoApp(t, filepath.Join(t.TempDir(), "data"), config.Flags{"demo": "false"})
	if demo, err := a.firstStart(ctx); err != nil || demo != nil {
		t.Fatalf("--demo=false: %+v, %v", demo, err)
	}
	if n, _ := a.store.CountPapers(ctx); n != 0 {
		t.Errorf("--demo=false loaded %d papers", n)
	}

	// A data directory with something in it gets the sample catalog (the
	// catalog is empty) but no demo user.
	data := t.TempDir()
	os.WriteFile(filepath.Join(data, "notes.txt"), []byte("mine"), 0o644)
	a = demoApp(t, data, config.Flags{})
	if demo, err := a.firstStart(ctx); err != nil || demo != nil {
		t.Errorf("non-empty data directory: %+v, %v; want no demo user", demo, err)
	}
	if n, _ := a.store.CountPapers(ctx); n != 119 {
		t.Errorf("non-empty data directory: %d papers, want the sample", n)
	}
}
