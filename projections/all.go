package projections

// All returns every read-model projection the service runs, in the order
// status lists them.
func All() []Projection { return []Projection{Targets{}, Jobs{}, APIKeys{}} }
