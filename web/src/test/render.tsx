import { render } from '@testing-library/react'
import { createMemoryRouter } from 'react-router'
import { vi } from 'vitest'
import { App, newQueryClient, routes } from '../App'

export interface Call {
  method: string
  url: URL
  headers: Headers
  body: string | null
}

type Answer = { status?: number; body?: unknown; headers?: Record<string, string> }
type Handler = (call: Call) => Answer | undefined

// mockAPI replaces fetch with handler, which answers by the call's path;
// an unhandled call is a 404 in the API's error shape. It records every
// call so a test can check what the app asked for.
export function mockAPI(handler: Handler) {
  const calls: Call[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://dashboard.test')
    const call: Call = {
      method: init?.method ?? 'GET',
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : null,
    }
    calls.push(call)
    const a = handler(call) ?? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route ' + url.pathname } } }
    return new Response(a.body === undefined ? null : typeof a.body === 'string' ? a.body : JSON.stringify(a.body), {
      status: a.status ?? 200,
      headers: { 'Content-Type': 'application/json', ...a.headers },
    })
  })
  vi.stubGlobal('fetch', fetchMock)
  return calls
}

export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] })
  const client = newQueryClient()
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } })
  const view = render(<App router={router} client={client} />)
  return { ...view, router, client }
}

export function target(domain: string, score: number, tier: number, extra: Record<string, unknown> = {}) {
  return {
    domain,
    company_name: domain.split('.')[0].replace(/^./, (c) => c.toUpperCase()) + ' Inc.',
    partner_tech: 'Shopify Plus',
    vertical: 'Retail',
    country: 'US',
    icp_score: score,
    icp_tier: tier,
    icp_tier_name: ['Hot', 'Warm', 'Cool', 'Cold'][tier - 1],
    sw_monthly_visits: 1_200_000,
    revenue: 5e8,
    current_search: 'Solr',
    last_enriched: null,
    ...extra,
  }
}
