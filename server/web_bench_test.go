package server_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks/internal/testapp"
)

// The picks page under load: 8 concurrent signed-in readers, each loading
// their own page (10 picks, their votes, 14 dates of navigation) over
// HTTP from the running server on loopback; SQLite store. Reports the
// latency percentiles and the throughput.
//
//	go test ./server -run '^$' -bench 'PicksPageUnderLoad' -benchtime 4000x
func BenchmarkPicksPageUnderLoad(b *testing.B) {
	const clients = 8
	app := testapp.New(b, testapp.Options{})
	readers := make([]*http.Client, clients)
	for i := range readers {
		u := app.NewUser(b, fmt.Sprintf("reader%d@example.org", i), testapp.Likes...)
		readers[i] = app.Browser(b)
		readers[i].Transport = &http.Transport{MaxIdleConnsPerHost: 2}
		app.SignIn(b, readers[i], u.ID)
	}
	app.RunDaily(b)
	var mu sync.Mutex
	var lat []time.Duration
	next := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range readers {
		wg.Go(func() {
			var mine []time.Duration
			for range next {
				start := time.Now()
				res, err := c.Get(app.URL + "/")
				if err != nil {
					b.Error(err)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("status %d", res.StatusCode)
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	start := time.Now()
	for b.Loop() {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(len(lat))/took.Seconds(), "pages/s")
}
