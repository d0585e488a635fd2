package providers

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/partnerforge/partnerforge/domain"
)

// Metrics are the Prometheus series of the provider fetches. Build one per
// process with NewMetrics and share it between the Resilient fetchers; a nil
// *Metrics records nothing.
type Metrics struct {
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	circuitState *prometheus.GaugeVec
	quotaLeft    *prometheus.GaugeVec
	creditsLeft  *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with reg (not with the
// global registry, so tests and several instances can coexist).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerforge_provider_requests_total",
			Help: "Provider fetches by outcome: ok or the failure code.",
		}, []string{"provider", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "partnerforge_provider_request_duration_seconds",
			Help:    "Wall time of provider fetches, retries included.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"provider"}),
		circuitState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "partnerforge_provider_circuit_state",
			Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		}, []string{"provider"}),
		quotaLeft: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "partnerforge_provider_quota_remaining",
			Help: "Calls left in the provider's daily quota after the last fetch.",
		}, []string{"provider"}),
		creditsLeft: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "partnerforge_provider_credits_remaining",
			Help: "Paid credits the provider reports left on the account (BuiltWith: X-API-CREDITS-REMAINING), as of its last answer that said.",
		}, []string{"provider"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.circuitState, m.quotaLeft, m.creditsLeft} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register provider metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observe(p domain.Provider, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(string(p), outcome).Inc()
	m.latency.WithLabelValues(string(p)).Observe(d.Seconds())
}

func (m *Metrics) setCircuit(p domain.Provider, s gobreaker.State) {
	if m == nil {
		return
	}
	// gobreaker numbers its states closed=0, half-open=1, open=2: the same
	// scale the gauge documents, but spelled out so a library change cannot
	// silently shift it.
	v := 0.0
	switch s {
	case gobreaker.StateHalfOpen:
		v = 1
	case gobreaker.StateOpen:
		v = 2
	}
	m.circuitState.WithLabelValues(string(p)).Set(v)
}

func (m *Metrics) setQuota(p domain.Provider, remaining int64) {
	if m == nil {
		return
	}
	m.quotaLeft.WithLabelValues(string(p)).Set(float64(remaining))
}

// setCredits records the provider's own count of credits left, when the
// answer carried one.
func (m *Metrics) setCredits(p domain.Provider, remaining *int64) {
	if m == nil || remaining == nil {
		return
	}
	m.creditsLeft.WithLabelValues(string(p)).Set(float64(*remaining))
}
