package digest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/digest/digesttest"
)

// The digest of 10,000 readers, rendered and sent over SMTP to the
// in-process server on loopback, through one reused connection, with the
// send records in SQLite (synchronous=NORMAL). Each iteration mails a new
// date to everyone.
//
//	go test ./digest -run '^$' -bench 'Digest10k' -benchtime 3x
func BenchmarkSendDigest10k(b *testing.B) {
	users := 10_000
	if testing.Short() {
		users = 1000
	}
	e := newEnv(b, users, digesttest.Options{})
	s := e.sender(b, e.config(), nil, nil)
	ctx := context.Background()
	day0, _ := time.Parse(paperpicks.DateLayout, day)
	i := 0
	var sent int
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		date := day0.AddDate(0, 0, i+1).Format(paperpicks.DateLayout)
		i++
		byUser := map[string][]paperpicks.Pick{}
		for _, u := range e.users {
			byUser[u.ID] = []paperpicks.Pick{
				{Rank: 1, PaperID: "2611.00001", Score: 0.9, Reason: "2611.00000", Kind: paperpicks.PickPersonal},
				{Rank: 2, PaperID: "2611.00002", Score: 0.8, Reason: "2611.00000", Kind: paperpicks.PickPersonal},
				{Rank: 3, PaperID: "2611.00003", Score: 0.7, Kind: paperpicks.PickTrending},
				{Rank: 4, PaperID: "2611.00004", Score: 0.6, Kind: paperpicks.PickFilled},
			}
		}
		if err := e.st.SavePicks(ctx, date, byUser); err != nil {
			b.Fatal(err)
		}
		e.finishRun(b, date)
		b.StartTimer()
		start := time.Now()
		rep, err := s.SendDate(ctx, date)
		took += time.Since(start)
		if err != nil || rep.Sent != users {
			b.Fatalf("SendDate = %+v, %v", rep, err)
		}
		sent += rep.Sent
	}
	b.ReportMetric(float64(sent)/took.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
	if got := len(e.smtp.Messages()); got != sent {
		b.Fatalf("the server received %d messages, want %d", got, sent)
	}
}

// Rendering alone (templates and MIME, no SMTP, no records), per message.
//
//	go test ./digest -run '^$' -bench 'RenderDigest' -benchmem
func BenchmarkRenderDigest(b *testing.B) {
	e := newEnv(b, 100, digesttest.Options{})
	s := e.sender(b, e.config(), nil, nil)
	ctx := context.Background()
	n := 0
	start := time.Now()
	for b.Loop() {
		msg, err := s.Preview(ctx, fmt.Sprintf("u%d", n%100), day)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := msg.WriteTo(discard{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
