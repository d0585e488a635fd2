import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef } from 'react'
import { ApiError, apiJSON, type EnrichAccepted, type Job } from '../api'
import { providerNames } from '../format'

// The words for a provider's failure codes (domain/provider.go).
const failureWords: Record<string, string> = {
  timeout: 'did not answer in time',
  rate_limited: 'refused: too many requests',
  quota_exhausted: 'refused: its quota is used up',
  unauthorized: 'refused our credentials',
  not_found: 'not found: it has no data for this company',
  bad_response: 'answered something we could not read',
  circuit_open: 'skipped: it has been failing, so calls are paused',
  upstream_error: 'failed on its side',
  no_ticker: 'skipped: the company has no stock ticker',
  expired: 'did not report before the job expired',
  all_providers_failed: 'every provider failed',
}

export function failureText(code: string | null | undefined, note?: string): string {
  if (!code) return 'failed'
  const words = failureWords[code] ?? code.replaceAll('_', ' ')
  return note ? `${words} (${note})` : words
}

const finished = new Set(['completed', 'partial', 'failed'])

function providerState(job: Job, name: string): string {
  const p = job.providers[name]
  if (!p) return 'queued'
  if (p.status === 'fetched') return 'done'
  if (p.status === 'failed') return 'failed: ' + failureText(p.error, p.note)
  // The job view knows pending or done; a running job is fetching what is
  // still pending.
  return job.status === 'running' ? 'fetching' : 'queued'
}

function errorWords(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    const wait = err.retryAfter != null ? `try again in ${err.retryAfter} s` : 'try again shortly'
    return `Too many requests — ${wait}. ${err.message}`
  }
  if (err instanceof ApiError && err.status === 503) return 'Enrichment is not available on this server right now: ' + err.message
  return 'The refresh could not start: ' + (err instanceof Error ? err.message : String(err))
}

// RefreshPanel opens an enrichment job for the company, follows it live,
// and refreshes the page's figures when it ends. onJob reports the job in
// flight (null when done), so the page can wait for the read model to
// catch up with it.
export function RefreshPanel({ domain, onJobEnded }: { domain: string; onJobEnded: (jobId: string) => void }) {
  const client = useQueryClient()
  const start = useMutation({
    mutationFn: () =>
      apiJSON<EnrichAccepted>('/api/enrich/' + encodeURIComponent(domain), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        // The user asked for fresh data: fetch even within the freshness
        // window.
        body: JSON.stringify({ force: true }),
      }),
  })
  const jobId = start.data?.job_id
  const job = useQuery({
    queryKey: ['job', jobId],
    enabled: !!jobId,
    queryFn: ({ signal }) => apiJSON<Job>('/api/enrich/status/' + jobId, { signal }),
    refetchInterval: (q) => (q.state.data && finished.has(q.state.data.status) ? false : 750),
    staleTime: 0,
  })

  const ended = job.data && finished.has(job.data.status) ? job.data.job_id : null
  const reported = useRef<string | null>(null)
  useEffect(() => {
    if (!ended || reported.current === ended) return
    reported.current = ended
    onJobEnded(ended)
    void client.invalidateQueries({ queryKey: ['company', domain] })
    void client.invalidateQueries({ queryKey: ['score-changes', domain] })
    void client.invalidateQueries({ queryKey: ['history', domain] })
    void client.invalidateQueries({ queryKey: ['targets'] })
    void client.invalidateQueries({ queryKey: ['jobs'] })
  }, [ended, domain, client, onJobEnded])

  const running = start.isPending || (!!jobId && !ended && !job.isError)
  const providers = job.data ? Object.keys(job.data.providers) : []

  return (
    <div className="space-y-2">
      <button
        type="button"
        onClick={() => {
          reported.current = null
          start.mutate()
        }}
        disabled={running}
        className="rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800 disabled:cursor-wait disabled:opacity-60"
      >
        Refresh data
      </button>
      <div role="status" data-testid="job-progress" aria-live="polite" className="text-sm">
        {start.isPending && <p>Starting the refresh…</p>}
        {start.isError && <p className="text-red-800 dark:text-red-300">{errorWords(start.error)}</p>}
        {jobId && !job.data && !job.isError && <p>Job {start.data?.status === 'accepted' ? 'joined' : 'opened'}; waiting for its first report…</p>}
        {job.isError && <p className="text-red-800 dark:text-red-300">Could not follow the job: {errorWords(job.error)}</p>}
        {job.data && (
          <div className="rounded-md border border-gray-200 bg-white p-3 dark:border-gray-800 dark:bg-gray-900">
            <p className="font-medium">
              {ended
                ? `Job ${job.data.status}`
                : `Job ${job.data.status === 'pending' ? 'queued' : 'running'} — ${job.data.progress}% of providers reported`}
            </p>
            <ul className="mt-1 space-y-0.5">
              {providers.map((name) => {
                const state = providerState(job.data!, name)
                return (
                  <li key={name} data-provider={name} data-state={state.split(':')[0]}>
                    <span className="font-medium">{providerNames[name] ?? name}</span>: {state}
                  </li>
                )
              })}
            </ul>
            {ended && job.data.result?.score != null && (
              <p className="mt-1">New score: {job.data.result.score}.</p>
            )}
            {ended && job.data.status === 'failed' && job.data.error && (
              <p className="mt-1">Reason: {failureText(job.data.error)}</p>
            )}
          </div>
        )}
      </div>
    </div>
  )
}
