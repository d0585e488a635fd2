package readmodel

import (
	"errors"
	"time"
)

// RebuildStatus is where a background rebuild of a read model stands, as
// the admin route shows it.
type RebuildStatus struct {
	Projection string `json:"projection"`
	// State is running, done or failed.
	State string `json:"state"`
	// Phase is the rebuild's current step: load, index, catch-up, swap, done.
	Phase           string     `json:"phase"`
	Position        int64      `json:"position"`
	Events          int64      `json:"events"`
	Total           int64      `json:"total"`
	EventsPerSecond float64    `json:"events_per_second"`
	ETASeconds      float64    `json:"eta_seconds"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	Error           string     `json:"error,omitempty"`
}

// Rebuild states.
const (
	RebuildRunning = "running"
	RebuildDone    = "done"
	RebuildFailed  = "failed"
)

// Errors of starting a rebuild, shared by the projections that raise them
// and the routes that answer them.
var (
	ErrUnknownProjection = errors.New("unknown projection")
	ErrRebuildBusy       = errors.New("a rebuild or verify of this projection is already running")
)
