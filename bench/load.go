package bench

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Latency summarizes one load run.
type Latency struct {
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	PerSec   float64       `json:"per_sec"`
}

// Load runs up to n operations (or until d passes) from workers
// goroutines at once, and measures each one's latency. op gets the
// operation's number; an error counts as a failed request.
func Load(ctx context.Context, workers, n int, d time.Duration, op func(ctx context.Context, i int) error) Latency {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([][]time.Duration, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := op(ctx, i); err != nil {
					if ctx.Err() != nil {
						return // the time limit, not a failure
					}
					errs.Add(1)
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	out := Latency{Requests: len(all), Errors: int(errs.Load()), PerSec: float64(len(all)) / took.Seconds()}
	if len(all) > 0 {
		out.P50 = all[len(all)/2]
		out.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return out
}

// httpOp returns an operation that sends a request and fails on a non-2xx
// answer; the body is read to the end so connections are reused.
func httpOp(client *http.Client, build func(i int) (*http.Request, error)) func(context.Context, int) error {
	return func(ctx context.Context, i int) error {
		req, err := build(i)
		if err != nil {
			return err
		}
		res, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return &statusError{res.StatusCode}
		}
		return nil
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }
