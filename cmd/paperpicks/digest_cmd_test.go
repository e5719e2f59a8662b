package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/links"
	"github.com/paperpicks/paperpicks/store/sqlite"
)

func TestCLIDigest(t *testing.T) {
	smtp := digesttest.Start(t, digesttest.Options{})
	data := t.TempDir()
	env := []string{"PAPERPICKS_LOG_LEVEL=warn", "PAPERPICKS_SMTP_HOST=" + smtp.Host, fmt.Sprintf("PAPERPICKS_SMTP_PORT=%d", smtp.Port),
		"PAPERPICKS_SMTP_TLS=none", "PAPERPICKS_SMTP_FROM=paperpicks <picks@example.org>", "PAPERPICKS_HTTP_BASE_URL=https://picks.example.org"}
	cli := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"--data", data}, args...), env, strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	if out, err := cli("ingest", "../../testdata/papers.jsonl"); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	out, err := cli("--json", "users", "add", "--email", "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID string }
	json.Unmarshal([]byte(out), &u)
	date := time.Now().UTC().Format(paperpicks.DateLayout)
	if out, err := cli("rank", "--date", date); err != nil {
		t.Fatalf("rank: %v\n%s", err, out)
	}

	// --dry-run prints the message and sends nothing.
	out, err = cli("digest", "--date", date, "--user", u.ID, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	m, err := digesttest.Parse([]byte(out))
	if err != nil {
		t.Fatalf("dry run printed no message: %v\n%.500s", err, out)
	}
	if !strings.Contains(m.Subject, "paper picks for") || !strings.HasPrefix(m.Header.Get("List-Unsubscribe"), "<https://picks.example.org/e/") || m.HTML == "" || m.Text == "" {
		t.Errorf("dry run: subject %q, unsubscribe %q", m.Subject, m.Header.Get("List-Unsubscribe"))
	}
	if len(smtp.Messages()) != 0 {
		t.Error("--dry-run sent mail")
	}
	// The secret was made once and kept in the store: both runs' links
	// verify with it.
	again, _ := cli("digest", "--date", date, "--user", u.ID, "--dry-run")
	m2, _ := digesttest.Parse([]byte(again))
	st, err := sqlite.Open(context.Background(), filepath.Join(data, "paperpicks.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := st.GetSetting(context.Background(), "secret")
	st.Close()
	if err != nil || len(secret) != 32 {
		t.Fatalf("stored secret: %d bytes, %v", len(secret), err)
	}
	signer := links.NewSigner(secret, links.Purpose)
	for i, msg := range []*digesttest.Parsed{m, m2} {
		unsub := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
		_, tok, _ := strings.Cut(unsub, "/e/")
		if c, err := signer.Verify(tok, time.Now()); err != nil || c.Action != links.Unsubscribe || c.UserID != u.ID {
			t.Errorf("run %d: unsubscribe link %q does not verify with the stored secret: %+v, %v", i+1, unsub, c, err)
		}
	}

	// Sending, twice (as after a restart): one message.
	for i := range 2 {
		out, err := cli("--json", "digest", "--date", date)
		if err != nil {
			t.Fatalf("digest run %d: %v", i+1, err)
		}
		var rep struct{ Sent, Done int }
		json.Unmarshal([]byte(out), &rep)
		if want := 1 - i; rep.Sent != want || rep.Done != i {
			t.Errorf("digest run %d = %s; want %d sent", i+1, out, want)
		}
	}
	if n := len(smtp.For("ada@example.org")); n != 1 {
		t.Errorf("ada received %d messages, want 1", n)
	}

	// Without SMTP settings only --dry-run works.
	env = env[:1]
	if _, err := cli("digest", "--date", date); paperpicks.ErrorField(err) != "smtp.host" {
		t.Errorf("digest without smtp.host: %v", err)
	}
	if _, err := cli("digest", "--date", "yesterday", "--dry-run"); paperpicks.ErrorField(err) != "date" {
		t.Errorf("a bad date: %v", err)
	}
}

// serve wires the digest: the catch-up run at start mails every reader,
// whose message links to this server.
func TestServeSendsDigests(t *testing.T) {
	smtp := digesttest.Start(t, digesttest.Options{})
	data := t.TempDir()
	env := []string{"PAPERPICKS_LOG_LEVEL=warn", "PAPERPICKS_DEMO=false", "PAPERPICKS_SMTP_HOST=" + smtp.Host, fmt.Sprintf("PAPERPICKS_SMTP_PORT=%d", smtp.Port),
		"PAPERPICKS_SMTP_TLS=none", "PAPERPICKS_SMTP_FROM=picks@example.org", "PAPERPICKS_RANK_SCHEDULE=* * * * *"}
	cli := func(ctx context.Context, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"--data", data}, args...), env, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := cli(context.Background(), "ingest", "../../testdata/papers.jsonl"); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	if out, err := cli(context.Background(), "users", "add", "--email", "ada@example.org"); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cli(ctx, "serve", "--addr", "127.0.0.1:0")
		done <- err
	}()
	msgs := smtp.Wait(1, 20*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want the digest", len(msgs))
	}
	m, err := digesttest.Parse(msgs[0].Data)
	if err != nil || !strings.Contains(m.HTML, "/e/") || !strings.HasPrefix(m.Header.Get("List-Unsubscribe"), "<http://127.0.0.1:") {
		t.Errorf("digest from serve: %v, unsubscribe %q", err, m.Header.Get("List-Unsubscribe"))
	}
}
