import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { apiJSON, type Job, type JobList } from '../api'
import { failureText } from '../components/RefreshPanel'
import { ErrorMessage } from '../components/ErrorBoundary'
import { dateTime, providerNames } from '../format'

const PER_PAGE = 50
const STATUSES = ['pending', 'running', 'completed', 'partial', 'failed'] as const
const active = new Set(['pending', 'running'])

const statusClass: Record<string, string> = {
  completed: 'bg-green-100 text-green-900 dark:bg-green-900/60 dark:text-green-100',
  partial: 'bg-amber-100 text-amber-900 dark:bg-amber-900/60 dark:text-amber-100',
  failed: 'bg-red-100 text-red-900 dark:bg-red-900/60 dark:text-red-100',
  running: 'bg-blue-100 text-blue-900 dark:bg-blue-900/60 dark:text-blue-100',
  pending: 'bg-gray-200 text-gray-800 dark:bg-gray-700 dark:text-gray-100',
}

function outcomes(job: Job): string {
  return Object.entries(job.providers)
    .map(([name, p]) => {
      const who = providerNames[name] ?? name
      if (p.status === 'fetched') return `${who}: done`
      if (p.status === 'failed') return `${who}: ${failureText(p.error)}`
      return `${who}: ${job.status === 'running' ? 'fetching' : 'queued'}`
    })
    .join('; ')
}

// JobsPage lists the caller's own enrichment jobs, newest first; the API
// knows whose key it is (requested_by=me).
export default function JobsPage() {
  const [params, setParams] = useSearchParams()
  const status = params.get('status') ?? ''
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1)
  const q = new URLSearchParams({ requested_by: 'me', per_page: String(PER_PAGE), page: String(page) })
  if (status) q.set('status', status)
  const jobs = useQuery({
    queryKey: ['jobs', q.toString()],
    queryFn: ({ signal }) => apiJSON<JobList>('/api/enrich/jobs?' + q.toString(), { signal }),
    placeholderData: keepPreviousData,
    // Jobs in flight move on their own: follow them while any is listed.
    refetchInterval: (query) => (query.state.data?.data.some((j) => active.has(j.status)) ? 2000 : false),
  })
  const totalPages = jobs.data?.pagination.total_pages ?? 1
  const set = (name: string, value: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p)
      if (value) n.set(name, value)
      else n.delete(name)
      if (name !== 'page') n.delete('page')
      return n
    })

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 className="text-2xl font-bold">Jobs</h1>
        <div className="flex flex-col gap-1">
          <label htmlFor="job-status" className="text-xs font-medium text-gray-600 dark:text-gray-400">
            Status
          </label>
          <select
            id="job-status"
            value={status}
            onChange={(e) => set('status', e.target.value)}
            className="rounded-md border border-gray-300 bg-white px-2 py-1.5 text-sm dark:border-gray-700 dark:bg-gray-900"
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="text-sm text-gray-600 dark:text-gray-300">Enrichment jobs opened with your API key's owner, newest first.</p>
      {jobs.isError ? (
        <ErrorMessage error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : (
        <div className="overflow-x-auto rounded-md border border-gray-200 bg-white dark:border-gray-800 dark:bg-gray-900" aria-busy={jobs.isPending}>
          <table aria-label="Jobs" className="w-full text-sm">
            <thead className="bg-gray-100 text-left dark:bg-gray-800">
              <tr>
                <th scope="col" className="px-3 py-2">Domain</th>
                <th scope="col" className="px-3 py-2">Status</th>
                <th scope="col" className="px-3 py-2">Providers</th>
                <th scope="col" className="px-3 py-2">Started</th>
                <th scope="col" className="px-3 py-2">Finished</th>
              </tr>
            </thead>
            <tbody>
              {jobs.isPending &&
                Array.from({ length: 5 }, (_, i) => (
                  <tr key={i} aria-hidden="true">
                    <td colSpan={5} className="px-3 py-2">
                      <div className="h-5 animate-pulse rounded bg-gray-200 dark:bg-gray-700" />
                    </td>
                  </tr>
                ))}
              {jobs.data && jobs.data.data.length === 0 && (
                <tr>
                  <td colSpan={5} className="px-3 py-8 text-center text-gray-600 dark:text-gray-300">
                    {status ? `No ${status} jobs.` : 'No jobs yet. "Refresh data" on a company page opens one.'}
                  </td>
                </tr>
              )}
              {jobs.data?.data.map((j) => (
                <tr key={j.job_id} data-testid="job-row" data-job-id={j.job_id} className="border-t border-gray-100 dark:border-gray-800">
                  <td className="px-3 py-2">
                    <Link to={'/company/' + encodeURIComponent(j.domain)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
                      {j.domain}
                    </Link>
                  </td>
                  <td className="px-3 py-2">
                    <span className={'rounded-full px-2 py-0.5 text-xs font-medium ' + (statusClass[j.status] ?? '')}>{j.status}</span>
                    {active.has(j.status) && <span className="ml-2 text-xs text-gray-600 dark:text-gray-300">{j.progress}%</span>}
                  </td>
                  <td className="px-3 py-2">{outcomes(j)}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{dateTime(j.created_at)}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{dateTime(j.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {totalPages > 1 && (
        <nav aria-label="Job pages" className="flex items-center gap-2 text-sm">
          <button type="button" disabled={page <= 1} onClick={() => set('page', String(page - 1))} className="rounded-md border px-2 py-1 disabled:opacity-50">
            Newer
          </button>
          <span>
            Page {page} of {totalPages}
          </span>
          <button
            type="button"
            disabled={page >= totalPages}
            onClick={() => set('page', String(page + 1))}
            className="rounded-md border px-2 py-1 disabled:opacity-50"
          >
            Older
          </button>
        </nav>
      )}
    </div>
  )
}
