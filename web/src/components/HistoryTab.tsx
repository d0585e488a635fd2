import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { apiJSON, companyPath, type HistoryEvent, type HistoryPage, type ScoreChange, type ScoreChanges } from '../api'
import { dateTime, providerNames } from '../format'
import { ErrorMessage } from './ErrorBoundary'
import { failureText } from './RefreshPanel'
import { Skeleton } from './Skeleton'

const HISTORY_PAGE = 100

const eventNames: Record<string, string> = {
  TargetImported: 'Imported from a list',
  TargetAdded: 'Added as a target',
  EnrichmentJobOpened: 'Refresh asked for',
  EnrichmentRequested: 'Providers asked',
  ProviderFetched: 'Provider answered',
  ProviderFailed: 'Provider failed',
  ScoreComputed: 'Score computed',
  EnrichmentCompleted: 'Refresh completed',
  EnrichmentPartial: 'Refresh partly completed',
  EnrichmentFailed: 'Refresh failed',
  EnrichmentJobClosed: 'Refresh closed',
  EnrichmentJobExpired: 'Refresh expired',
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined
}

// describe says in words what an event recorded; the API's payload is the
// source, the words are only its reading.
function describe(e: HistoryEvent, change: ScoreChange | undefined): string[] {
  const d = e.data ?? {}
  const provider = providerNames[str(d.provider) ?? ''] ?? str(d.provider)
  switch (e.type) {
    case 'ProviderFetched': {
      const what = Object.keys((d.data as Record<string, unknown>) ?? {}).join(', ')
      const status = num(d.http_status)
      const latency = num(d.latency_ms)
      return [`${provider} answered${what ? ' with ' + what + ' data' : ''}` + (status ? ` (HTTP ${status}${latency != null ? `, ${latency} ms` : ''})` : '') + '.']
    }
    case 'ProviderFailed':
      return [`${provider} ${failureText(str(d.code), str(d.message))}` + (num(d.attempts) ? ` after ${num(d.attempts)} attempt(s).` : '.')]
    case 'EnrichmentJobOpened':
    case 'EnrichmentRequested': {
      const ps = Array.isArray(d.providers) ? (d.providers as string[]).map((p) => providerNames[p] ?? p).join(', ') : ''
      return [ps ? `Providers: ${ps}${d.force ? ' (forced)' : ''}.` : '']
    }
    case 'ScoreComputed': {
      if (change) {
        const lines = [
          change.previous
            ? `Score ${change.previous.score} (${change.previous.tier_name}) → ${change.score} (${change.tier_name}), model ${change.model_version}.`
            : `First score ${change.score} (${change.tier_name}), model ${change.model_version}.`,
        ]
        for (const f of change.factors.filter((f) => f.delta !== 0)) {
          lines.push(`${f.factor.replaceAll('_', ' ')} ${f.delta > 0 ? '+' : ''}${f.delta}: ${f.detail}`)
        }
        return lines
      }
      const s = d.score as Record<string, unknown> | undefined
      return s ? [`Score ${num(s.value)} (tier ${num(s.tier)}).`] : []
    }
    case 'EnrichmentCompleted':
    case 'EnrichmentPartial':
    case 'EnrichmentFailed':
    case 'EnrichmentJobClosed': {
      const failed = d.failed as Record<string, string> | undefined
      const out = []
      if (num(d.score) != null) out.push(`Score ${num(d.score)}.`)
      if (str(d.outcome)) out.push(`Outcome: ${str(d.outcome)}.`)
      for (const [p, code] of Object.entries(failed ?? {})) out.push(`${providerNames[p] ?? p} ${failureText(code)}.`)
      return out
    }
    case 'TargetImported':
      return [`Row ${num(d.source_row_id) ?? '?'} of an imported list.`]
    default:
      return []
  }
}

export function HistoryTab({ domain }: { domain: string }) {
  const history = useInfiniteQuery({
    queryKey: ['history', domain],
    initialPageParam: null as number | null,
    queryFn: ({ pageParam, signal }) =>
      apiJSON<HistoryPage>(
        companyPath(domain) + `/history?limit=${HISTORY_PAGE}` + (pageParam != null ? `&after=${pageParam}` : ''),
        { signal },
      ),
    // A short page is the end for now; next_after null is the end.
    getNextPageParam: (last) => (last.next_after != null && last.data.length === HISTORY_PAGE ? last.next_after : undefined),
  })
  const changes = useQuery({
    queryKey: ['score-changes', domain],
    queryFn: ({ signal }) => apiJSON<ScoreChanges>(companyPath(domain) + '/score-changes', { signal }),
  })
  if (history.isPending) return <Skeleton lines={5} label="Loading history" />
  if (history.isError) return <ErrorMessage error={history.error} onRetry={() => void history.refetch()} />
  const events = history.data.pages.flatMap((p) => p.data)
  const byEvent = new Map((changes.data?.data ?? []).map((c) => [c.event_id, c]))
  if (events.length === 0) return <p>No history recorded for this company yet.</p>
  return (
    <div className="space-y-3">
      <ol aria-label="History" className="space-y-2">
        {events.map((e) => {
          const lines = describe(e, byEvent.get(e.event_id)).filter(Boolean)
          return (
            <li
              key={e.position + e.stream_id}
              data-testid="history-event"
              data-type={e.type}
              className="rounded-md border border-gray-200 bg-white p-3 text-sm dark:border-gray-800 dark:bg-gray-900"
            >
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-semibold">{eventNames[e.type] ?? e.type}</span>
                <time dateTime={e.recorded_at} className="text-gray-600 dark:text-gray-300">
                  {dateTime(e.recorded_at)}
                </time>
              </div>
              <p className="text-gray-600 dark:text-gray-300">
                {e.type} · by {e.actor}
              </p>
              {lines.length > 0 && (
                <ul className="mt-1 list-disc pl-5">
                  {lines.map((l, i) => (
                    <li key={i}>{l}</li>
                  ))}
                </ul>
              )}
            </li>
          )
        })}
      </ol>
      {history.hasNextPage && (
        <button
          type="button"
          onClick={() => void history.fetchNextPage()}
          disabled={history.isFetchingNextPage}
          className="rounded-md border border-gray-300 px-3 py-1.5 text-sm hover:bg-gray-100 dark:border-gray-700 dark:hover:bg-gray-800"
        >
          {history.isFetchingNextPage ? 'Loading…' : 'Show later events'}
        </button>
      )}
    </div>
  )
}
