// Package enrichment runs the enrichment pipeline: the watermill handlers
// that react to events, the bounded pool of workers that call the providers,
// and the sweeper that expires and recovers jobs. The decisions belong to the
// commands and domain packages; this package moves work between them.
//
//	POST /api/enrich ─► RequestEnrichment ─► EnrichmentRequested (job stream)
//	      │ watermill "enrichment_dispatcher": enqueue one fetch task per provider
//	      ▼ (quick: the subscriber's transaction stays open meanwhile)
//	fetch_tasks ─► worker pool: lease, call the provider (outside any
//	      │        transaction), append ProviderFetched/ProviderFailed, delete task
//	      ▼ watermill "enrichment_completion": when every provider reported,
//	FinishJob ─► ScoreComputed + EnrichmentCompleted/Partial/Failed + JobClosed
//
// Every step is idempotent: handlers derive event ids from what caused them,
// the store treats a stored id as done, and a task whose worker died is
// leased again once its lease runs out.
package enrichment
