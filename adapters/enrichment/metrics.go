package enrichment

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	handlerLag  *prometheus.GaugeVec
	handled     *prometheus.CounterVec
	jobsEnded   *prometheus.CounterVec
	queuedTasks prometheus.Gauge
	leasedTasks prometheus.Gauge
	busyWorkers prometheus.Gauge
	leasesLost  prometheus.Counter
}

// NewMetrics registers the pipeline's series on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		handlerLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "partnerforge_handler_lag_seconds",
			Help: "Time between an event being stored and a handler taking it, for the last event each handler took.",
		}, []string{"handler"}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerforge_handler_messages_total",
			Help: "Events each handler handled without error (other event types are skipped unread).",
		}, []string{"handler"}),
		jobsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerforge_enrichment_jobs_ended_total",
			Help: "Enrichment jobs ended, by outcome.",
		}, []string{"status"}),
		queuedTasks: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "partnerforge_fetch_tasks_queued",
			Help: "Provider fetch tasks waiting or running.",
		}),
		leasedTasks: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "partnerforge_fetch_tasks_leased",
			Help: "Provider fetch tasks currently leased by a worker.",
		}),
		busyWorkers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "partnerforge_fetch_workers_busy",
			Help: "Workers of this instance fetching right now.",
		}),
		leasesLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partnerforge_fetch_leases_lost_total",
			Help: "Fetches of this instance whose task another worker took over after their lease ran out (a pause, a stall): their outcome was dropped.",
		}),
	}
	for _, c := range []prometheus.Collector{m.handlerLag, m.handled, m.jobsEnded, m.queuedTasks, m.leasedTasks, m.busyWorkers, m.leasesLost} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
