import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { mockAPI, renderApp, type Call } from '../test/render'

const JOB = '0b5f3c1e-8f5e-4a57-9d2a-6f1f2b3c4d5e'

function company(score: number, tier: number, lastJob: string | null) {
  return {
    domain: 'acme.com',
    company_name: 'Acme Corp',
    vertical: 'Retail',
    country: 'US',
    city: 'Austin',
    icp_score: score,
    icp_tier: tier,
    icp_tier_name: ['Hot', 'Warm', 'Cool', 'Cold'][tier - 1],
    revenue: 2.5e9,
    gross_margin: 0.4186,
    sw_monthly_visits: 14_207_000,
    traffic_growth: 6.5,
    score_reasons: ['High traffic'],
    last_job_id: lastJob,
    excluded: false,
  }
}

const scoreChanges = {
  domain: 'acme.com',
  data: [
    {
      event_id: 'e1',
      at: '2026-12-01T10:00:00Z',
      model_version: 'icp-v2',
      score: 70,
      tier: 2,
      tier_name: 'Warm',
      signals: { budget: 'high', pain: 'medium', timing: 'low' },
      previous: null,
      factors: [],
    },
  ],
}

function job(status: string, providers: Record<string, { status: string; error?: string | null }>, result?: object) {
  return { job_id: JOB, domain: 'acme.com', status, progress: 0, providers, result: result ?? null, error: null, created_at: '2026-12-07T10:00:00Z', updated_at: '2026-12-07T10:00:00Z' }
}

describe('Company page', () => {
  it('shows the header, signals, key metrics and tabs in the address', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/companies/acme.com') return { body: company(70, 2, null) }
      if (c.url.pathname === '/api/companies/acme.com/score-changes') return { body: scoreChanges }
    })
    const { router } = renderApp('/company/acme.com')
    expect(await screen.findByRole('heading', { level: 1, name: 'Acme Corp' })).toBeInTheDocument()
    expect(screen.getByTestId('score-badge')).toHaveAttribute('data-tier', 'warm')
    expect(screen.getByTestId('score-badge')).toHaveTextContent('70')
    const signals = within(screen.getByRole('list', { name: 'Signals' }))
    await waitFor(() => expect(signals.getByText('Budget: high')).toBeInTheDocument())
    expect(signals.getByText('Pain: medium')).toBeInTheDocument()
    const metrics = within(screen.getByRole('region', { name: 'Key metrics' }))
    expect(metrics.getByText('Revenue').nextSibling).toHaveTextContent('$2.5B')
    expect(metrics.getByText('Gross margin').nextSibling).toHaveTextContent('41.9%')
    expect(metrics.getByText('Monthly visits').nextSibling).toHaveTextContent('14.2M')
    expect(metrics.getByText('Traffic growth').nextSibling).toHaveTextContent('+6.5%')
    const tabs = within(screen.getByRole('tablist')).getAllByRole('tab').map((t) => t.textContent)
    expect(tabs).toEqual(['Financials', 'Tech stack', 'Traffic', 'Contacts & quotes', 'History'])
    await userEvent.click(screen.getByRole('tab', { name: 'Traffic' }))
    expect(new URLSearchParams(router.state.location.search).get('tab')).toBe('traffic')
    expect(screen.getByRole('tab', { name: 'Traffic' })).toHaveAttribute('aria-selected', 'true')
  })

  it('follows a refresh live, then shows the new score without a reload', async () => {
    let polls = 0
    let done = false
    const calls: Call[] = mockAPI((c) => {
      if (c.url.pathname === '/api/companies/acme.com') return { body: done ? company(88, 1, JOB) : company(70, 2, null) }
      if (c.url.pathname === '/api/companies/acme.com/score-changes') return { body: scoreChanges }
      if (c.method === 'POST' && c.url.pathname === '/api/enrich/acme.com') {
        return { status: 202, body: { job_id: JOB, domain: 'acme.com', status: 'pending', status_url: '/api/enrich/status/' + JOB } }
      }
      if (c.url.pathname === '/api/enrich/status/' + JOB) {
        polls++
        if (polls < 2) return { body: job('running', { builtwith: { status: 'fetched' }, similarweb: { status: 'pending' }, yahoo_finance: { status: 'pending' } }) }
        done = true
        return { body: job('completed', { builtwith: { status: 'fetched' }, similarweb: { status: 'fetched' }, yahoo_finance: { status: 'fetched' } }, { score: 88, tier: 1 }) }
      }
    })
    renderApp('/company/acme.com')
    await userEvent.click(await screen.findByRole('button', { name: 'Refresh data' }))
    const progress = screen.getByTestId('job-progress')
    expect(progress).toHaveAttribute('role', 'status')
    await waitFor(() => expect(progress).toHaveTextContent('BuiltWith: done'))
    expect(progress).toHaveTextContent('SimilarWeb: fetching')
    expect(progress).toHaveTextContent('Yahoo Finance: fetching')
    await waitFor(() => expect(progress).toHaveTextContent('Job completed'), { timeout: 4000 })
    expect(progress).toHaveTextContent('Yahoo Finance: done')
    await waitFor(() => expect(screen.getByTestId('score-badge')).toHaveTextContent('88'))
    expect(screen.getByTestId('score-badge')).toHaveAttribute('data-tier', 'hot')
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.headers.get('Content-Type')).toBe('application/json')
    expect(JSON.parse(post.body!)).toEqual({ force: true })
  })

  it('says in words why a provider failed', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/companies/acme.com') return { body: company(70, 2, null) }
      if (c.url.pathname === '/api/companies/acme.com/score-changes') return { body: scoreChanges }
      if (c.method === 'POST') return { status: 202, body: { job_id: JOB, domain: 'acme.com', status: 'pending', status_url: '' } }
      if (c.url.pathname === '/api/enrich/status/' + JOB) {
        return {
          body: job('partial', { builtwith: { status: 'fetched' }, similarweb: { status: 'failed', error: 'rate_limited' }, yahoo_finance: { status: 'failed', error: 'no_ticker' } }),
        }
      }
    })
    renderApp('/company/acme.com')
    await userEvent.click(await screen.findByRole('button', { name: 'Refresh data' }))
    const progress = screen.getByTestId('job-progress')
    await waitFor(() => expect(progress).toHaveTextContent('Job partial'))
    expect(progress).toHaveTextContent('SimilarWeb: failed: refused: too many requests')
    expect(progress).toHaveTextContent('Yahoo Finance: failed: skipped: the company has no stock ticker')
  })

  it('shows a 429 in words, with the wait from Retry-After', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/companies/acme.com') return { body: company(70, 2, null) }
      if (c.url.pathname === '/api/companies/acme.com/score-changes') return { body: scoreChanges }
      if (c.method === 'POST') {
        return {
          status: 429,
          headers: { 'Retry-After': '30' },
          body: { error: { code: 'TOO_MANY_JOBS', message: 'you have 5 enrichment jobs in flight and the limit is 5; retry when one finishes', details: { open: 5, limit: 5 } } },
        }
      }
    })
    renderApp('/company/acme.com')
    await userEvent.click(await screen.findByRole('button', { name: 'Refresh data' }))
    const progress = screen.getByTestId('job-progress')
    await waitFor(() => expect(progress).toHaveTextContent('Too many requests — try again in 30 s'))
    expect(progress).toHaveTextContent('you have 5 enrichment jobs in flight')
    // The page itself stays whole.
    expect(screen.getByRole('heading', { level: 1, name: 'Acme Corp' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Refresh data' })).toBeEnabled()
  })

  it('lists the history from the audit route', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/companies/acme.com') return { body: company(70, 2, null) }
      if (c.url.pathname === '/api/companies/acme.com/score-changes') return { body: scoreChanges }
      if (c.url.pathname === '/api/companies/acme.com/history') {
        return {
          body: {
            data: [
              { event_id: 'e0', position: 1, stream_id: 'job-1', type: 'ProviderFailed', recorded_at: '2026-12-01T09:59:00Z', actor: 'fetch_worker', data: { provider: 'yahoo_finance', code: 'not_found', attempts: 1 } },
              { event_id: 'e1', position: 2, stream_id: 'target-acme.com', type: 'ScoreComputed', recorded_at: '2026-12-01T10:00:00Z', actor: 'fetch_worker', data: {} },
            ],
            next_after: 2,
          },
        }
      }
    })
    renderApp('/company/acme.com?tab=history')
    const list = await screen.findByRole('list', { name: 'History' })
    const items = within(list).getAllByTestId('history-event')
    expect(items).toHaveLength(2)
    expect(items[0]).toHaveTextContent('Yahoo Finance not found: it has no data for this company')
    expect(items[0]).toHaveTextContent('by fetch_worker')
    expect(items[1]).toHaveTextContent('First score 70 (Warm), model icp-v2')
  })
})
