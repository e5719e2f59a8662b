// Package metrics holds paperpicks' Prometheus collectors on a registry of
// its own (no global state), served at /metrics.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/paperpicks/paperpicks/embed"
)

// Metrics are the collectors the service updates.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	runs         *prometheus.CounterVec
	runDuration  prometheus.Histogram
	runPicks     prometheus.Gauge
	picksServed  prometheus.Counter
	embedCalls   *prometheus.CounterVec
	embedTexts   prometheus.Counter
}

// New registers every collector; indexSize reports the papers indexed.
func New(indexSize func() float64) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperpicks_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "paperpicks_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method", "route"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperpicks_daily_runs_total", Help: "Daily runs by outcome.",
		}, []string{"status"}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "paperpicks_daily_run_duration_seconds", Help: "Duration of daily runs.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 14),
		}),
		runPicks: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "paperpicks_daily_run_picks", Help: "Picks stored by the last daily run.",
		}),
		picksServed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paperpicks_picks_served_total", Help: "Picks returned to readers.",
		}),
		embedCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperpicks_embedder_calls_total", Help: "Embedder calls by result.",
		}, []string{"result"}),
		embedTexts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "paperpicks_embedder_texts_total", Help: "Texts embedded.",
		}),
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.runs, m.runDuration, m.runPicks, m.picksServed, m.embedCalls, m.embedTexts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperpicks_index_papers", Help: "Papers in the in-memory index."}, indexSize),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveHTTP records one request; route is the route template, never the
// raw path, so ids do not explode the label space.
func (m *Metrics) ObserveHTTP(method, route string, status int, took time.Duration) {
	m.httpRequests.WithLabelValues(method, route, statusText(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

func statusText(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}

// ObserveRun records a finished daily run.
func (m *Metrics) ObserveRun(status string, picks int, took time.Duration) {
	m.runs.WithLabelValues(status).Inc()
	m.runDuration.Observe(took.Seconds())
	if status == "ok" {
		m.runPicks.Set(float64(picks))
	}
}

// PicksServed counts picks returned to readers.
func (m *Metrics) PicksServed(n int) { m.picksServed.Add(float64(n)) }

// Embedder wraps e so its calls and errors are counted.
func (m *Metrics) Embedder(e embed.Embedder) embed.Embedder { return &observed{Embedder: e, m: m} }

type observed struct {
	embed.Embedder
	m *Metrics
}

func (o *observed) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	v, err := o.Embedder.Embed(ctx, texts)
	if err != nil {
		o.m.embedCalls.WithLabelValues("error").Inc()
		return nil, err
	}
	o.m.embedCalls.WithLabelValues("ok").Inc()
	o.m.embedTexts.Add(float64(len(texts)))
	return v, nil
}
