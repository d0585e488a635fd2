import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { useUI } from '../store'
import { mockAPI, renderApp, target, type Call } from '../test/render'

const stats = {
  total: 4,
  by_tier: { '1': 1, '2': 1, '3': 1, '4': 1 },
  by_vertical: { Retail: 3, Fashion: 1 },
  by_country: { US: 3, DE: 1 },
  by_enrichment_level: {},
}

const rows = [target('acme.com', 91, 1), target('bolt.com', 70, 2), target('cinder.de', 45, 3), target('dune.com', 12, 4)]

function targetsAPI(extra?: (c: Call) => { status?: number; body?: unknown } | undefined) {
  return mockAPI((c) => {
    const more = extra?.(c)
    if (more) return more
    if (c.url.pathname === '/api/stats') return { body: stats }
    if (c.url.pathname === '/api/targets') return { body: { data: rows, pagination: { page: 1, per_page: 100, total: rows.length, total_pages: 1 } } }
    return undefined
  })
}

const listCalls = (calls: Call[]) => calls.filter((c) => c.url.pathname === '/api/targets')

describe('Targets page', () => {
  it('renders the rows with their tier badges, the count and the key', async () => {
    useUI.getState().setApiKey('pf_live_test')
    const calls = targetsAPI()
    renderApp('/')
    const table = await screen.findByRole('table', { name: 'Targets' })
    await waitFor(() => expect(within(table).getAllByTestId('target-row')).toHaveLength(4))
    const first = within(table).getAllByTestId('target-row')[0]
    expect(first).toHaveAttribute('data-domain', 'acme.com')
    expect(within(first).getByRole('link', { name: 'Acme Inc.' })).toHaveAttribute('href', '/company/acme.com')
    expect(within(table).getAllByTestId('score-badge').map((b) => b.getAttribute('data-tier'))).toEqual(['hot', 'warm', 'cool', 'cold'])
    expect(screen.getByTestId('target-count')).toHaveTextContent('4 targets')
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Targets')
    expect(listCalls(calls)[0].headers.get('X-API-Key')).toBe('pf_live_test')
    expect(listCalls(calls)[0].url.searchParams.get('per_page')).toBe('200')
  })

  it('says in words when the key has spent its reads, and tries again', async () => {
    let refused = true
    mockAPI((c) => {
      if (c.url.pathname === '/api/stats') return { body: stats }
      if (c.url.pathname !== '/api/targets') return undefined
      if (refused) {
        return {
          status: 429,
          headers: { 'Retry-After': '12' },
          body: { error: { code: 'RATE_LIMITED', message: 'the reads budget of this key is spent', details: { budget: 'reads' } } },
        }
      }
      return { body: { data: rows, pagination: { page: 1, per_page: 200, total: rows.length, total_pages: 1 } } }
    })
    renderApp('/')
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('Too many requests — try again in 12 s. the reads budget of this key is spent')
    refused = false
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }))
    await waitFor(() => expect(screen.getAllByTestId('target-row')).toHaveLength(4))
  })

  it('says so when nothing matches', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/targets') return { body: { data: [], pagination: { page: 1, per_page: 100, total: 0, total_pages: 0 } } }
      if (c.url.pathname === '/api/stats') return { body: stats }
    })
    renderApp('/?search=zzz')
    expect(await screen.findByText('No targets match these filters.')).toBeInTheDocument()
    expect(screen.getByTestId('target-count')).toHaveTextContent('0 targets')
  })

  it('toggles the sort from a header and writes it to the address and the query', async () => {
    const calls = targetsAPI()
    const { router } = renderApp('/')
    const revenue = await screen.findByRole('button', { name: 'Revenue' })
    const th = revenue.closest('th')!
    expect(th).toHaveAttribute('aria-sort', 'none')
    expect(screen.getByRole('button', { name: 'Score' }).closest('th')).toHaveAttribute('aria-sort', 'descending')

    await userEvent.click(revenue)
    await waitFor(() => expect(th).toHaveAttribute('aria-sort', 'descending'))
    expect(new URLSearchParams(router.state.location.search).get('sort')).toBe('revenue')
    expect(new URLSearchParams(router.state.location.search).get('order')).toBe('desc')

    await userEvent.click(revenue)
    await waitFor(() => expect(th).toHaveAttribute('aria-sort', 'ascending'))
    expect(new URLSearchParams(router.state.location.search).get('order')).toBe('asc')
    await waitFor(() => {
      const last = listCalls(calls).at(-1)!.url.searchParams
      expect([last.get('sort'), last.get('order')]).toEqual(['revenue', 'asc'])
    })

    // A name column starts A→Z.
    await userEvent.click(screen.getByRole('button', { name: 'Company' }))
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get('order')).toBe('asc'))
    expect(new URLSearchParams(router.state.location.search).get('sort')).toBe('company_name')
  })

  it('writes every filter to the address under the API parameter names', async () => {
    const calls = targetsAPI()
    const { router } = renderApp('/')
    const params = () => new URLSearchParams(router.state.location.search)

    const hot = await screen.findByRole('button', { name: 'Hot' })
    expect(hot).toHaveAttribute('aria-pressed', 'false')
    await userEvent.click(hot)
    await waitFor(() => expect(params().get('tier')).toBe('1'))
    expect(hot).toHaveAttribute('aria-pressed', 'true')

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search targets' }), 'acme')
    await waitFor(() => expect(params().get('search')).toBe('acme'))

    await screen.findByRole('option', { name: /Retail/ })
    await userEvent.selectOptions(screen.getByLabelText('Vertical'), ['Retail', 'Fashion'])
    await waitFor(() => expect(params().getAll('vertical').sort()).toEqual(['Fashion', 'Retail']))
    await userEvent.selectOptions(screen.getByLabelText('Country'), ['DE'])
    await waitFor(() => expect(params().getAll('country')).toEqual(['DE']))

    fireEvent.change(screen.getByLabelText('Minimum score'), { target: { value: '40' } })
    fireEvent.change(screen.getByLabelText('Maximum score'), { target: { value: '90' } })
    await waitFor(() => expect([params().get('score_min'), params().get('score_max')]).toEqual(['40', '90']))

    // The API gets the same parameters: it does the filtering.
    await waitFor(() => {
      const q = listCalls(calls).at(-1)!.url.searchParams
      expect(q.get('tier')).toBe('1')
      expect(q.get('search')).toBe('acme')
      expect(q.getAll('vertical').sort()).toEqual(['Fashion', 'Retail'])
      expect(q.getAll('country')).toEqual(['DE'])
      expect([q.get('score_min'), q.get('score_max')]).toEqual(['40', '90'])
    })

    // Chips are one tier at a time: another replaces it, the same one clears it.
    await userEvent.click(screen.getByRole('button', { name: 'Cold' }))
    await waitFor(() => expect(params().get('tier')).toBe('4'))
    await userEvent.click(screen.getByRole('button', { name: 'Cold' }))
    await waitFor(() => expect(params().has('tier')).toBe(false))
  })

  it('reads a shared link back into the controls', async () => {
    targetsAPI()
    renderApp('/?tier=2&search=bolt&score_min=10&sort=sw_monthly_visits&order=asc')
    expect(await screen.findByRole('button', { name: 'Warm' })).toHaveAttribute('aria-pressed', 'true')
    expect(screen.getByRole('searchbox', { name: 'Search targets' })).toHaveValue('bolt')
    expect(screen.getByLabelText('Minimum score')).toHaveValue(10)
    expect(screen.getByRole('button', { name: 'Visits' }).closest('th')).toHaveAttribute('aria-sort', 'ascending')
  })

  it('refuses an inverted score range in words and keeps it out of the address', async () => {
    targetsAPI()
    const { router } = renderApp('/')
    fireEvent.change(await screen.findByLabelText('Minimum score'), { target: { value: '80' } })
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get('score_min')).toBe('80'))
    fireEvent.change(screen.getByLabelText('Maximum score'), { target: { value: '20' } })
    expect(await screen.findByText('The minimum score must not exceed the maximum.')).toBeInTheDocument()
    expect(new URLSearchParams(router.state.location.search).has('score_max')).toBe(false)
  })

  it('moves the active row with j/k and arrows and opens it with Enter', async () => {
    targetsAPI((c) => (c.url.pathname === '/api/companies/bolt.com' ? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no target bolt.com' } } } : undefined))
    const { router } = renderApp('/')
    await waitFor(() => expect(screen.getAllByTestId('target-row')).toHaveLength(4))
    const selected = () => screen.getAllByTestId('target-row').find((r) => r.getAttribute('aria-selected') === 'true')?.getAttribute('data-domain')
    expect(selected()).toBeUndefined()
    await userEvent.keyboard('j')
    expect(selected()).toBe('acme.com')
    await userEvent.keyboard('{ArrowDown}{ArrowDown}')
    expect(selected()).toBe('cinder.de')
    await userEvent.keyboard('k')
    expect(selected()).toBe('bolt.com')
    await userEvent.keyboard('/')
    expect(screen.getByRole('searchbox', { name: 'Search targets' })).toHaveFocus()
    act(() => (document.activeElement as HTMLElement).blur())
    await userEvent.keyboard('{Enter}')
    await waitFor(() => expect(router.state.location.pathname).toBe('/company/bolt.com'))
  })

  it('loads the next page as the list scrolls, by the API cursor when it gives one', async () => {
    const page1 = Array.from({ length: 200 }, (_, i) => target(`site${String(i).padStart(3, '0')}.com`, 90, 1))
    const page2 = [target('last.com', 10, 4)]
    const calls = mockAPI((c) => {
      if (c.url.pathname === '/api/stats') return { body: stats }
      if (c.url.pathname !== '/api/targets') return undefined
      return c.url.searchParams.get('cursor') === 'abc'
        ? { body: { data: page2, pagination: { per_page: 200, total: 201, next_cursor: null } } }
        : { body: { data: page1, pagination: { per_page: 200, total: 201, next_cursor: 'abc' } } }
    })
    renderApp('/')
    // An 800 px window shows ~30 of the 200 rows: the next page waits
    // until the view comes within half a page of the end.
    const table = await screen.findByRole('table', { name: 'Targets' })
    await waitFor(() => expect(within(table).getAllByTestId('target-row').length).toBeGreaterThan(10))
    expect(within(table).getAllByTestId('target-row').length).toBeLessThan(60)
    expect(listCalls(calls)).toHaveLength(1)
    const scroller = table.parentElement!
    Object.defineProperty(scroller, 'scrollTop', { value: 150 * 41, configurable: true })
    fireEvent.scroll(scroller)
    await waitFor(() => expect(listCalls(calls).some((c) => c.url.searchParams.get('cursor') === 'abc')).toBe(true))
    expect(screen.getByTestId('target-count')).toHaveTextContent('201 targets')
    // The rows in view are those of the scrolled-to place.
    await waitFor(() => expect(within(table).getAllByTestId('target-row')[0]).not.toHaveAttribute('data-domain', 'site000.com'))
  })

  it('asks for the next page by number when the API pages by number', async () => {
    const page = (n: number) => Array.from({ length: 200 }, (_, i) => target(`p${n}-${i}.com`, 50, 3))
    const calls = mockAPI((c) => {
      if (c.url.pathname === '/api/stats') return { body: stats }
      if (c.url.pathname !== '/api/targets') return undefined
      const n = Number(c.url.searchParams.get('page') ?? '1')
      return { body: { data: page(n), pagination: { page: n, per_page: 200, total: 500, total_pages: 3 } } }
    })
    renderApp('/')
    const table = await screen.findByRole('table', { name: 'Targets' })
    await waitFor(() => expect(within(table).getAllByTestId('target-row').length).toBeGreaterThan(10))
    expect(listCalls(calls)).toHaveLength(1)
    Object.defineProperty(table.parentElement!, 'scrollTop', { value: 150 * 41, configurable: true })
    fireEvent.scroll(table.parentElement!)
    await waitFor(() => expect(listCalls(calls).some((c) => c.url.searchParams.get('page') === '2')).toBe(true))
    expect(listCalls(calls)[0].url.searchParams.has('page')).toBe(false)
  })
})
