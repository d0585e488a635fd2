import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { keyFromFragment, useUI } from '../store'
import { mockAPI, renderApp } from '../test/render'

describe('API key and settings', () => {
  it('saves the key to localStorage and says so', async () => {
    mockAPI(() => undefined)
    renderApp('/settings')
    await userEvent.type(await screen.findByLabelText('API key'), 'pf_live_new')
    expect(screen.getByLabelText('API key')).toHaveAttribute('type', 'password')
    await userEvent.click(screen.getByRole('button', { name: 'Save key' }))
    expect(window.localStorage.getItem('pf.apiKey')).toBe('pf_live_new')
    expect(screen.getByRole('status')).toHaveTextContent('Key saved')
    await userEvent.click(screen.getByRole('button', { name: 'Forget key' }))
    expect(window.localStorage.getItem('pf.apiKey')).toBeNull()
  })

  it('switches the theme and keeps it', async () => {
    mockAPI(() => undefined)
    renderApp('/settings')
    const dark = await screen.findByRole('switch', { name: 'Dark theme' })
    await userEvent.click(dark)
    expect(document.documentElement).toHaveClass('dark')
    expect(window.localStorage.getItem('pf.theme')).toBe('dark')
    await userEvent.click(dark)
    expect(document.documentElement).not.toHaveClass('dark')
    expect(window.localStorage.getItem('pf.theme')).toBe('light')
  })

  it.each([
    ['MISSING_API_KEY', /No API key is set/],
    ['INVALID_API_KEY', /API key was refused: it is unknown, or it has been revoked/],
    ['FORBIDDEN', /This API key is not allowed/],
  ])('a 403 %s takes the user to Settings and explains it', async (code, words) => {
    mockAPI(() => ({ status: 403, body: { error: { code, message: 'refused' } } }))
    const { router } = renderApp('/')
    await waitFor(() => expect(router.state.location.pathname).toBe('/settings'))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('API key'))
    expect(screen.getByRole('alert')).toHaveTextContent(words)
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Settings')
  })

  it('after a new key is saved, the pages work again', async () => {
    mockAPI((c) => {
      if (c.headers.get('X-API-Key') !== 'pf_live_good') return { status: 403, body: { error: { code: 'INVALID_API_KEY', message: 'the API key is unknown or revoked' } } }
      if (c.url.pathname === '/api/targets') return { body: { data: [], pagination: { page: 1, per_page: 100, total: 0, total_pages: 0 } } }
      if (c.url.pathname === '/api/stats') return { body: { total: 0, by_tier: {}, by_vertical: {}, by_country: {}, by_enrichment_level: {} } }
    })
    useUI.getState().setApiKey('pf_live_revoked')
    const { router } = renderApp('/')
    await waitFor(() => expect(router.state.location.pathname).toBe('/settings'))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('revoked'))
    await userEvent.clear(screen.getByLabelText('API key'))
    await userEvent.type(screen.getByLabelText('API key'), 'pf_live_good')
    await userEvent.click(screen.getByRole('button', { name: 'Save key' }))
    expect(screen.queryByRole('alert')).toBeNull()
    await userEvent.click(screen.getByRole('link', { name: 'Targets' }))
    expect(await screen.findByText('No targets match these filters.')).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/')
  })

  it('a refusal on one page does not lock the others', async () => {
    mockAPI((c) => {
      if (c.url.pathname === '/api/enrich/jobs') return { status: 403, body: { error: { code: 'FORBIDDEN', message: 'this route needs a power key' } } }
      if (c.url.pathname === '/api/targets') return { body: { data: [], pagination: { page: 1, per_page: 100, total: 0, total_pages: 0 } } }
      if (c.url.pathname === '/api/stats') return { body: { total: 0, by_tier: {}, by_vertical: {}, by_country: {}, by_enrichment_level: {} } }
    })
    const { router } = renderApp('/jobs')
    await waitFor(() => expect(router.state.location.pathname).toBe('/settings'))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('not allowed'))
    await userEvent.click(screen.getByRole('link', { name: 'Targets' }))
    expect(await screen.findByText('No targets match these filters.')).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/')
    // Back to the refused page: refused again, and explained again.
    await userEvent.click(screen.getByRole('link', { name: 'Jobs' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/settings'))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('not allowed'))
  })

  it('a 403 of another kind is not a key problem', async () => {
    mockAPI((c) => (c.url.pathname === '/api/targets' ? { status: 403, body: { error: { code: 'SOMETHING_ELSE', message: 'nope' } } } : undefined))
    const { router } = renderApp('/')
    expect(await screen.findByRole('alert')).toHaveTextContent('nope')
    expect(router.state.location.pathname).toBe('/')
  })

  it('takes a key from the address fragment and removes it from the address', () => {
    window.history.replaceState(null, '', '/company/acme.com?tab=history#key=pf_live_fromBanner')
    keyFromFragment()
    expect(useUI.getState().apiKey).toBe('pf_live_fromBanner')
    expect(window.localStorage.getItem('pf.apiKey')).toBe('pf_live_fromBanner')
    expect(window.location.hash).toBe('')
    expect(window.location.pathname + window.location.search).toBe('/company/acme.com?tab=history')
  })
})
