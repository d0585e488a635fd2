import '@testing-library/jest-dom/vitest'
import { cleanup, configure } from '@testing-library/react'
import { afterEach, vi } from 'vitest'
import { useUI } from '../store'

// jsdom lays nothing out and has no ResizeObserver; the virtualiser only
// needs it to exist.
class NoopResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoopResizeObserver as unknown as typeof ResizeObserver
// The virtualiser reads its scroll container's size from clientWidth and
// clientHeight, which jsdom leaves at 0: give every element a screenful so
// the visible window holds rows.
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 800 })
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 })
Element.prototype.scrollTo ??= function () {}

// Lazy pages load through Vite's transform on first use, which takes a
// while on a busy machine: wait longer than testing-library's 1 s default
// before calling an element missing. (A bound on waiting, not a timing
// assertion.)
configure({ asyncUtilTimeout: 5000 })

afterEach(() => {
  cleanup()
  window.localStorage.clear()
  useUI.setState({ apiKey: '', authProblem: null })
  vi.unstubAllGlobals()
})
