package digest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest"
	"github.com/paperpicks/paperpicks/digest/digesttest"
	"github.com/paperpicks/paperpicks/store"
)

func TestSendDateOncePerUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 4, digesttest.Options{})
	// u2 turned the digest off, u3 has no address: neither gets mail.
	off, noAddr := *e.users[2], *e.users[3]
	off.Digest, noAddr.Email = false, ""
	e.st.UpdateUser(ctx, &off)
	e.st.UpdateUser(ctx, &noAddr)

	s := e.sender(t, e.config(), nil, nil)
	rep, err := s.SendDate(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Users != 2 || rep.Sent != 2 || rep.Pending() != 0 {
		t.Errorf("first batch = %+v, want 2 users, 2 sent", rep)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 2 || len(e.smtp.For("u0@example.org")) != 1 || len(e.smtp.For("u1@example.org")) != 1 {
		t.Fatalf("received %d messages, want one each for u0 and u1", len(msgs))
	}
	m, err := digesttest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your 3 paper picks for Monday, 2 November 2026" {
		t.Errorf("subject = %q", m.Subject)
	}
	if msgs[0].From != "picks@example.org" || m.Header.Get("From") == "" {
		t.Errorf("envelope from %q, header From %q", msgs[0].From, m.Header.Get("From"))
	}
	recs := e.sends(t)
	if d := recs["u0"]; d == nil || d.Status != store.DigestSent || d.Attempts != 1 || !d.SentAt.Equal(t0) || "<"+d.MessageID+">" != m.Header.Get("Message-Id") && "<"+d.MessageID+">" != m.Header.Get("Message-ID") {
		t.Errorf("record of u0 = %+v; message id header %q", d, m.Header.Get("Message-Id"))
	}
	if len(recs) != 2 {
		t.Errorf("records = %v, want only the two sent", recs)
	}
	// The picks the message showed are frozen: a rerun of the day keeps them.
	e.st.SavePicks(ctx, day, map[string][]paperpicks.Pick{"u0": {{Rank: 1, PaperID: "2611.00004", Kind: paperpicks.PickPersonal}}})
	if p, _ := e.st.GetPicks(ctx, "u0", day); len(p) != 3 {
		t.Errorf("picks of u0 after a rerun = %+v; a sent digest must mark them delivered", p)
	}

	// Again, even from a fresh sender (a restart): nothing more is sent.
	rep, err = e.sender(t, e.config(), nil, nil).SendDate(ctx, day)
	if err != nil || rep.Sent != 0 || rep.Done != 2 {
		t.Errorf("second batch = %+v, %v; want nothing sent, 2 done", rep, err)
	}
	if n := len(e.smtp.Messages()); n != 2 {
		t.Errorf("%d messages after the second batch, want still 2", n)
	}
}

func TestSendDateWaitsForTheRun(t *testing.T) {
	e := newEnv(t, 1, digesttest.Options{})
	_, err := e.sender(t, e.config(), nil, nil).SendDate(context.Background(), "2026-11-03")
	if paperpicks.ErrorCode(err) != paperpicks.ECONFLICT || len(e.smtp.Messages()) != 0 {
		t.Errorf("SendDate before the run: %v, %d messages; want conflict and none", err, len(e.smtp.Messages()))
	}
}

// forgetful is a store that loses the outcome of chosen users' first
// send, as a process dying between the SMTP server's OK and the commit.
type forgetful struct {
	digest.Store
	users map[string]bool
}

func (f *forgetful) FinishDigest(ctx context.Context, d *store.DigestSend) error {
	if f.users[d.UserID] {
		delete(f.users, d.UserID)
		return errors.New("process died before recording the outcome")
	}
	return f.Store.FinishDigest(ctx, d)
}

// stopping is a mailer that cancels the batch's context after n messages.
type stopping struct {
	digest.Mailer
	n      int32
	cancel context.CancelFunc
}

func (s *stopping) Send(ctx context.Context, m *gomail.Msg) error {
	err := s.Mailer.Send(ctx, m)
	if atomic.AddInt32(&s.n, -1) == 0 {
		s.cancel()
	}
	return err
}

// Crash and restart at every point of a batch: nobody is skipped, nobody
// gets two messages — except in the documented window between the SMTP
// server's OK and the commit of "sent", where the message goes again with
// the same Message-ID.
func TestCrashAndRestart(t *testing.T) {
	tests := []struct {
		name string
		// crash runs the first, interrupted batch.
		crash func(t *testing.T, e *env)
		// twice is who receives the same message twice.
		twice string
	}{
		{"died after claiming, before sending", func(t *testing.T, e *env) {
			// A sender claimed u1 and died; another sent the rest.
			if _, ok, err := e.st.ClaimDigest(context.Background(), "u1", day, e.clock.Now(), 2*time.Minute); err != nil || !ok {
				t.Fatal(err)
			}
			rep, _ := e.sender(t, e.config(), nil, nil).SendDate(context.Background(), day)
			if rep.Sent != 2 || rep.Waiting != 1 {
				t.Errorf("batch beside the dead claim = %+v, want 2 sent and u1 waiting for the lease", rep)
			}
		}, ""},
		{"cancelled mid-batch (shutdown)", func(t *testing.T, e *env) {
			ctx, cancel := context.WithCancel(context.Background())
			m, _ := digest.NewSMTP(e.config().SMTP)
			s := e.sender(t, e.config(), nil, &stopping{Mailer: m, n: 1, cancel: cancel})
			rep, err := s.SendDate(ctx, day)
			if !errors.Is(err, context.Canceled) || rep.Sent != 1 {
				t.Errorf("interrupted batch = %+v, %v; want 1 sent, then cancelled", rep, err)
			}
		}, ""},
		{"died between the SMTP OK and recording it", func(t *testing.T, e *env) {
			st := &forgetful{Store: e.st, users: map[string]bool{"u0": true}}
			e.sender(t, e.config(), st, nil).SendDate(context.Background(), day)
		}, "u0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 3, digesttest.Options{})
			tt.crash(t, e)
			// Restart: a new sender, once the dead claims' leases ran out.
			e.clock.Add(10 * time.Minute)
			if _, err := e.sender(t, e.config(), nil, nil).SendDate(context.Background(), day); err != nil {
				t.Fatal(err)
			}
			for _, u := range e.users {
				got := e.smtp.For(u.Email)
				want := 1
				if u.ID == tt.twice {
					want = 2
				}
				if len(got) != want {
					t.Errorf("%s received %d messages, want %d", u.ID, len(got), want)
					continue
				}
				if want == 2 {
					a, _ := digesttest.Parse(got[0].Data)
					b, _ := digesttest.Parse(got[1].Data)
					if a.Header.Get("Message-Id") == "" || a.Header.Get("Message-Id") != b.Header.Get("Message-Id") {
						t.Errorf("the repeated message has another Message-ID: %q vs %q", a.Header.Get("Message-Id"), b.Header.Get("Message-Id"))
					}
				}
				if d := e.sends(t)[u.ID]; d == nil || d.Status != store.DigestSent {
					t.Errorf("record of %s = %+v, want sent", u.ID, d)
				}
			}
		})
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	reject := func(to string, attempt int) error {
		switch {
		case to == "u0@example.org" && attempt <= 2: // a greylisting server
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again later"}
		case to == "u1@example.org": // gone for good
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		case to == "u2@example.org": // down all day
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "mailbox full"}
		}
		return nil
	}
	e := newEnv(t, 4, digesttest.Options{Reject: reject})
	cfg := e.config() // three attempts, one minute backoff, doubling
	s := e.sender(t, cfg, nil, nil)

	type want struct {
		status   string
		attempts int
		next     time.Duration // after t0; 0: none
	}
	steps := []struct {
		after time.Duration
		want  map[string]want
	}{
		{0, map[string]want{"u0": {store.DigestFailed, 1, time.Minute}, "u1": {store.DigestGaveUp, 1, 0}, "u2": {store.DigestFailed, 1, time.Minute}, "u3": {store.DigestSent, 1, 0}}},
		{30 * time.Second, map[string]want{"u0": {store.DigestFailed, 1, time.Minute}, "u2": {store.DigestFailed, 1, time.Minute}}}, // not due yet
		{time.Minute, map[string]want{"u0": {store.DigestFailed, 2, 3 * time.Minute}, "u2": {store.DigestFailed, 2, 3 * time.Minute}}},
		{3 * time.Minute, map[string]want{"u0": {store.DigestSent, 3, 0}, "u2": {store.DigestGaveUp, 3, 0}}},
		{time.Hour, map[string]want{"u0": {store.DigestSent, 3, 0}, "u1": {store.DigestGaveUp, 1, 0}, "u2": {store.DigestGaveUp, 3, 0}}},
	}
	for _, st := range steps {
		e.clock.Set(t0.Add(st.after))
		if _, err := s.SendDate(ctx, day); err != nil {
			t.Fatal(err)
		}
		recs := e.sends(t)
		for u, w := range st.want {
			d := recs[u]
			if d.Status != w.status || d.Attempts != w.attempts || (w.status == store.DigestFailed && !d.NextAttempt.Equal(t0.Add(w.next))) {
				t.Errorf("at +%v: %s = %s after %d attempts, next %v; want %s after %d, next +%v", st.after, u, d.Status, d.Attempts, d.NextAttempt, w.status, w.attempts, w.next)
			}
			if (w.status == store.DigestFailed || w.status == store.DigestGaveUp) && d.Error == "" {
				t.Errorf("at +%v: %s failed without the error recorded", st.after, u)
			}
		}
	}
	if n := len(e.smtp.For("u0@example.org")); n != 1 {
		t.Errorf("u0 received %d messages, want 1 (on the third attempt)", n)
	}
	if d := e.sends(t)["u1"]; !strings.Contains(d.Error, "550") {
		t.Errorf("u1's error = %q, want the server's 550", d.Error)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, 6, digesttest.Options{})
	cfg := e.config()
	cfg.Rate = 50 // a message every 20 ms
	start := time.Now()
	if rep, err := e.sender(t, cfg, nil, nil).SendDate(context.Background(), day); err != nil || rep.Sent != 6 {
		t.Fatalf("batch = %+v, %v", rep, err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("6 messages at 50/s took %v; the limit allows no less than 100ms", took)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2, digesttest.Options{})
	// An address that slipped past validation into the store.
	evil := *e.users[1]
	evil.Email = "u1@example.org\r\nBcc: spy@example.org"
	if err := e.st.UpdateUser(ctx, &evil); err != nil {
		t.Fatal(err)
	}
	// And paper text full of markup and line breaks.
	p := paperpicks.Paper{ID: "2611.00001", Title: "<script>alert(1)</script>\r\nBcc: spy@example.org", Abstract: `<img src=x onerror="alert(1)"> & more`,
		URL: "javascript:alert(1)", Authors: []string{"<b>Mallory</b>"}}
	if _, err := e.st.UpsertPapers(ctx, "sp", []store.PaperVector{{Paper: p, TextHash: "x", Vector: []float32{1, 0}}}, t0); err != nil {
		t.Fatal(err)
	}
	rep, err := e.sender(t, e.config(), nil, nil).SendDate(ctx, day)
	if err != nil || rep.Sent != 1 || rep.Skipped != 1 {
		t.Fatalf("batch = %+v, %v; want u0 sent, u1 skipped", rep, err)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 || len(e.smtp.For("spy@example.org")) != 0 {
		t.Fatalf("messages: %d, to the spy: %d", len(msgs), len(e.smtp.For("spy@example.org")))
	}
	head, _, _ := bytes.Cut(msgs[0].Data, []byte("\r\n\r\n"))
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		if bytes.HasPrefix(bytes.ToLower(line), []byte("bcc:")) || bytes.Contains(line, []byte("<script")) {
			t.Errorf("paper text reached the header: %q", line)
		}
	}
	m, err := digesttest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img", "<b>Mallory", "javascript:"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML part contains %q unescaped", bad)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") || !strings.Contains(m.HTML, "&lt;b&gt;Mallory") {
		t.Errorf("HTML part lacks the escaped title and author")
	}
	if d := e.sends(t)["u1"]; d == nil || d.Status != store.DigestSkipped {
		t.Errorf("record of u1 = %+v, want skipped", d)
	}
}

func TestSMTPModes(t *testing.T) {
	serverTLS, roots := digesttest.SelfSigned(t)
	tests := []struct {
		name    string
		server  digesttest.Options
		tls     string
		user    string
		wantErr bool
	}{
		{"plain", digesttest.Options{}, "none", "", false},
		{"plain with auth", digesttest.Options{User: "pp", Password: "pw"}, "none", "pp", false},
		{"starttls with auth", digesttest.Options{TLS: serverTLS, User: "pp", Password: "pw"}, "starttls", "pp", false},
		{"implicit tls with auth", digesttest.Options{TLS: serverTLS, Implicit: true, User: "pp", Password: "pw"}, "tls", "pp", false},
		{"starttls required but not offered", digesttest.Options{}, "starttls", "", true},
		{"wrong password", digesttest.Options{User: "pp", Password: "other"}, "none", "pp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 1, tt.server)
			cfg := e.config()
			cfg.SMTP.TLS, cfg.SMTP.Username, cfg.SMTP.Password = tt.tls, tt.user, "pw"
			cfg.SMTP.TLSConfig = roots2config(roots)
			s := e.sender(t, cfg, nil, nil)
			err := s.SendLogin(context.Background(), e.users[0], "https://picks.example.org/login/x", "tomorrow")
			if (err != nil) != tt.wantErr {
				t.Fatalf("SendLogin error = %v, want error %v", err, tt.wantErr)
			}
			if want := map[bool]int{true: 0, false: 1}[tt.wantErr]; len(e.smtp.Messages()) != want {
				t.Errorf("received %d messages, want %d", len(e.smtp.Messages()), want)
			}
		})
	}
}
