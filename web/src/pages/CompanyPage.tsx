import { useQuery } from '@tanstack/react-query'
import { useCallback, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { ApiError, apiJSON, companyPath, type Company, type ScoreChanges } from '../api'
import { ErrorMessage } from '../components/ErrorBoundary'
import { HistoryTab } from '../components/HistoryTab'
import { RefreshPanel } from '../components/RefreshPanel'
import { ScoreBadge } from '../components/ScoreBadge'
import { Skeleton } from '../components/Skeleton'
import { count, dash, date, dateTime, integer, money, percent, points, tierKey, tierName } from '../format'

const TABS = [
  { id: 'financials', label: 'Financials' },
  { id: 'tech', label: 'Tech stack' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'contacts', label: 'Contacts & quotes' },
  { id: 'history', label: 'History' },
] as const
type TabId = (typeof TABS)[number]['id']

function Metric({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="rounded-md border border-gray-200 bg-white p-3 dark:border-gray-800 dark:bg-gray-900">
      <dt className="text-xs font-medium uppercase tracking-wide text-gray-600 dark:text-gray-400">{label}</dt>
      <dd className="mt-1 text-xl font-semibold tabular-nums">{value}</dd>
    </div>
  )
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  const shown = rows.filter(([, v]) => v !== undefined)
  if (shown.length === 0) return <p>Nothing known yet.</p>
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-[max-content_1fr]">
      {shown.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-gray-600 dark:text-gray-400">{k}</dt>
          <dd>{v === null || v === '' ? dash : v}</dd>
        </div>
      ))}
    </dl>
  )
}

function text(v: unknown): ReactNode {
  if (v == null) return null
  if (Array.isArray(v)) return v.length ? v.map(String).join(', ') : null
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function list(v: string[] | null | undefined): ReactNode {
  if (!v || v.length === 0) return null
  return (
    <ul className="list-disc pl-5">
      {v.map((x) => (
        <li key={x}>{x}</li>
      ))}
    </ul>
  )
}

const signalClass: Record<string, string> = {
  high: 'bg-green-100 text-green-900 dark:bg-green-900/60 dark:text-green-100',
  medium: 'bg-yellow-100 text-yellow-900 dark:bg-yellow-900/60 dark:text-yellow-100',
  low: 'bg-gray-200 text-gray-800 dark:bg-gray-700 dark:text-gray-100',
}

function TabPanel({ tab, company, domain }: { tab: TabId; company: Company; domain: string }) {
  const c = company
  switch (tab) {
    case 'financials': {
      const f = c.financials_json ?? {}
      return (
        <Facts
          rows={[
            ['Revenue', money(c.revenue)],
            ['Gross margin', percent(c.gross_margin)],
            ['Fiscal year', text(f.fiscal_year)],
            ['Currency', text(f.currency)],
            ['Ticker', c.ticker],
            ['Public company', c.is_public == null ? null : c.is_public ? 'Yes' : 'No'],
            ['Monthly tech spend', money(c.tech_spend)],
            ['Hiring', c.hiring_signals ? Object.entries(c.hiring_signals).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${text(v)}`).join('; ') : null],
          ]}
        />
      )
    }
    case 'tech': {
      const t = c.tech_stack_json ?? {}
      return (
        <Facts
          rows={[
            ['Partner platforms', c.partner_tech],
            ['Current search', c.current_search],
            ...Object.entries(t)
              .filter(([k]) => k !== 'source')
              .map(([k, v]): [string, ReactNode] => [k.replaceAll('_', ' ').replace(/^./, (s) => s.toUpperCase()), text(v)]),
            ['Reported by', text(t.source)],
          ]}
        />
      )
    }
    case 'traffic':
      return (
        <Facts
          rows={[
            ['Monthly visits', integer(c.sw_monthly_visits)],
            ['Traffic growth', points(c.traffic_growth)],
            ['Visits from search engines', percent(c.sw_search_traffic_pct)],
            ['Bounce rate', percent(c.sw_bounce_rate)],
            ['Pages per visit', c.sw_pages_per_visit == null ? null : String(c.sw_pages_per_visit)],
            ['Average visit', c.sw_avg_duration == null ? null : `${Math.floor(c.sw_avg_duration / 60)} min ${c.sw_avg_duration % 60} s`],
            ['Global rank', integer(c.sw_rank_global)],
          ]}
        />
      )
    case 'contacts':
      return (
        <Facts
          rows={[
            ['Emails', list(c.emails)],
            ['Phones', list(c.phones)],
            ['Social', c.socials ? list(Object.entries(c.socials).map(([k, v]) => `${k}: ${v}`)) : null],
            ['Executives', list(c.exec_titles)],
            [
              'Quote',
              c.exec_quote ? (
                <blockquote className="border-l-4 border-gray-300 pl-3 italic dark:border-gray-700">
                  “{c.exec_quote}”
                  <footer className="not-italic text-gray-600 dark:text-gray-400">
                    {[c.exec_name, c.exec_title, c.quote_source].filter(Boolean).join(', ')}
                  </footer>
                </blockquote>
              ) : null,
            ],
            ['Displacement angle', c.displacement_angle],
            ['Matching case studies', list(c.matched_case_studies)],
          ]}
        />
      )
    case 'history':
      return <HistoryTab domain={domain} />
  }
}

export default function CompanyPage() {
  const { domain = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const requested = params.get('tab')
  const tab: TabId = TABS.some((t) => t.id === requested) ? (requested as TabId) : 'financials'
  // After a refresh the read model may lag the job by a moment: ask again
  // until the record names the job that ended.
  const [awaitJob, setAwaitJob] = useState<string | null>(null)
  const polls = useRef(0)
  const company = useQuery({
    queryKey: ['company', domain],
    queryFn: ({ signal }) => apiJSON<Company>(companyPath(domain), { signal }),
    refetchInterval: (q) => {
      if (!awaitJob || q.state.data?.last_job_id === awaitJob || polls.current > 20) return false
      polls.current++
      return 500
    },
  })
  const changes = useQuery({
    queryKey: ['score-changes', domain],
    queryFn: ({ signal }) => apiJSON<ScoreChanges>(companyPath(domain) + '/score-changes', { signal }),
  })
  const onJobEnded = useCallback((id: string) => {
    polls.current = 0
    setAwaitJob(id)
  }, [])
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([])

  if (company.isPending) {
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-bold">{domain}</h1>
        <Skeleton lines={6} label="Loading company" />
      </div>
    )
  }
  if (company.isError) {
    const notFound = company.error instanceof ApiError && (company.error.status === 404 || company.error.status === 400)
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-bold">{domain}</h1>
        {notFound ? (
          <p role="alert">
            {company.error.message}. <Link to="/" className="text-blue-700 underline dark:text-blue-300">Back to the targets</Link>
          </p>
        ) : (
          <ErrorMessage error={company.error} onRetry={() => void company.refetch()} />
        )}
      </div>
    )
  }

  const c = company.data
  const key = tierKey(c.icp_tier)
  const latest = changes.data?.data.at(-1)
  const signals = latest?.signals
  const selectTab = (id: TabId) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        n.set('tab', id)
        return n
      },
      { replace: true },
    )
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const move = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
    if (!move && e.key !== 'Home' && e.key !== 'End') return
    e.preventDefault()
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : (i + move + TABS.length) % TABS.length
    selectTab(TABS[next].id)
    tabRefs.current[next]?.focus()
  }

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="space-y-2">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-bold">{c.company_name ?? c.domain}</h1>
            <ScoreBadge score={c.icp_score} tier={c.icp_tier} large />
            <span className="text-sm font-medium">{key ? tierName[key] : 'Not scored'}</span>
          </div>
          <p className="text-gray-600 dark:text-gray-300">
            <a href={'https://' + c.domain} target="_blank" rel="noreferrer noopener" className="underline">
              {c.domain}
            </a>
            {' · '}
            {[c.vertical, c.country, c.city].filter(Boolean).join(' · ') || dash}
            {' · last enriched '}
            {date(c.last_enriched)}
          </p>
          <ul aria-label="Signals" className="flex flex-wrap gap-2">
            {(['budget', 'pain', 'timing'] as const).map((s) => {
              const level = signals?.[s] || 'unknown'
              return (
                <li
                  key={s}
                  data-signal={s}
                  data-level={level}
                  className={'rounded-full px-3 py-0.5 text-sm font-medium ' + (signalClass[level] ?? 'bg-gray-100 text-gray-600 dark:bg-gray-800 dark:text-gray-300')}
                >
                  {s[0].toUpperCase() + s.slice(1)}: {level === 'unknown' ? 'not scored yet' : level}
                </li>
              )
            })}
          </ul>
          {c.excluded && <p className="text-sm font-medium text-red-800 dark:text-red-300">Excluded: {c.excluded_reason}</p>}
        </div>
        <RefreshPanel domain={domain} onJobEnded={onJobEnded} />
      </div>

      <section aria-label="Key metrics">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Metric label="Revenue" value={money(c.revenue)} />
        <Metric label="Gross margin" value={percent(c.gross_margin)} />
        <Metric label="Monthly visits" value={count(c.sw_monthly_visits)} />
        <Metric label="Traffic growth" value={points(c.traffic_growth)} />
      </dl>
      </section>

      {c.score_reasons && c.score_reasons.length > 0 && (
        <section aria-labelledby="why-heading" className="rounded-md border border-gray-200 bg-white p-3 dark:border-gray-800 dark:bg-gray-900">
          <h2 id="why-heading" className="font-semibold">
            Why this score
          </h2>
          <ul className="mt-1 list-disc pl-5 text-sm">
            {c.score_reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          {latest && <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">Scored {dateTime(latest.at)} by model {latest.model_version}.</p>}
        </section>
      )}

      <div>
        <div role="tablist" aria-label="Company details" className="flex flex-wrap gap-1 border-b border-gray-200 dark:border-gray-800">
          {TABS.map((t, i) => (
            <button
              key={t.id}
              ref={(el) => {
                tabRefs.current[i] = el
              }}
              type="button"
              role="tab"
              id={'tab-' + t.id}
              aria-selected={tab === t.id}
              aria-controls={'panel-' + t.id}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => selectTab(t.id)}
              onKeyDown={(e) => onTabKey(e, i)}
              className={
                '-mb-px border-b-2 px-3 py-2 text-sm font-medium ' +
                (tab === t.id
                  ? 'border-blue-700 text-blue-800 dark:border-blue-400 dark:text-blue-200'
                  : 'border-transparent text-gray-600 hover:text-gray-900 dark:text-gray-300 dark:hover:text-white')
              }
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={'panel-' + tab} aria-labelledby={'tab-' + tab} tabIndex={0} className="py-4 text-sm">
          <TabPanel tab={tab} company={c} domain={domain} />
        </div>
      </div>
    </div>
  )
}
