// Package enrichment runs the enrichment pipeline: the watermill handlers
// that react to events, the bounded pool of workers that call the providers,
// and the sweeper that expires and recovers jobs. The decisions belong to the
// commands and domain packages; this package moves work between them.
//
//	POST /api/enrich ─► RequestEnrichment ─► EnrichmentRequested (job stream)
//	      │ watermill "enrichment_dispatcher": enqueue one fetch task per provider
//	      ▼ (quick: the subscriber's transaction stays open meanwhile)
//	fetch_tasks ─► worker pool: lease (the lease count is a fencing token),
//	      │        call the provider outside any transaction while renewing
//	      │        the lease, then in one transaction fenced by the token
//	      │        delete the task and append ProviderFetched/ProviderFailed
//	      ▼ watermill "enrichment_completion": when every provider reported,
//	FinishJob ─► ScoreComputed + EnrichmentCompleted/Partial/Failed + JobClosed
//
// Every step is idempotent: handlers derive event ids from what caused them,
// the store treats a stored id as done, and a task whose worker died is
// leased again once its lease runs out. Several instances share the queue: a
// worker whose lease another took over (it was paused past it) records
// nothing.
package enrichment
