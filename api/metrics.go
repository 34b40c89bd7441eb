package api

import (
	"database/sql"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are registered on the registry the caller passes in; a nil registry
// gives working no-op metrics so tests need no setup.
type Metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	evalTime  prometheus.Histogram
	jwt       *prometheus.CounterVec
	jwks      *prometheus.CounterVec
}

// NewMetrics builds the service's metrics and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "warden_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_authz_decisions_total", Help: "Policy decisions by action and result.",
		}, []string{"action", "result"}),
		evalTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "warden_authz_eval_duration_seconds", Help: "Policy evaluation time.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .01, .1},
		}),
		jwt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_jwt_verifications_total", Help: "JWT verifications by outcome.",
		}, []string{"outcome"}),
		jwks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_jwks_refreshes_total", Help: "JWKS fetches by result.",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.decisions, m.evalTime, m.jwt, m.jwks)
	}
	return m
}

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// ObserveDecision records one policy decision (wire it to the engine's OnDecision).
func (m *Metrics) ObserveDecision(action string, allowed bool, elapsed time.Duration) {
	result := "deny"
	if allowed {
		result = "allow"
	}
	m.decisions.WithLabelValues(action, result).Inc()
	m.evalTime.Observe(elapsed.Seconds())
}

// ObserveJWT records one verification outcome (wire it to the verifier's OnVerify).
func (m *Metrics) ObserveJWT(outcome string) { m.jwt.WithLabelValues(outcome).Inc() }

// ObserveJWKSRefresh records one JWKS fetch (wire it to the verifier's OnRefresh).
func (m *Metrics) ObserveJWKSRefresh(err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jwks.WithLabelValues(result).Inc()
}

// dbStatsCollector exports the connection pool's statistics at scrape time.
type dbStatsCollector struct {
	stats                              func() sql.DBStats
	open, inUse, idle, waits, waitSecs *prometheus.Desc
}

// NewDBStatsCollector exports pool statistics read from stats at each scrape.
func NewDBStatsCollector(stats func() sql.DBStats) prometheus.Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("warden_db_"+name, help, nil, nil)
	}
	return &dbStatsCollector{
		stats:    stats,
		open:     d("open_connections", "Open connections to the database."),
		inUse:    d("in_use_connections", "Connections in use."),
		idle:     d("idle_connections", "Idle connections."),
		waits:    d("wait_count_total", "Connections waited for."),
		waitSecs: d("wait_duration_seconds_total", "Time spent waiting for a connection."),
	}
}

func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.inUse
	ch <- c.idle
	ch <- c.waits
	ch <- c.waitSecs
}

func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waitSecs, prometheus.CounterValue, s.WaitDuration.Seconds())
}
