import { create } from 'zustand'

// UI state that is not the server's: the API key, the theme, and why the
// API last refused the key. Server data lives in TanStack Query.

export const KEY_STORAGE = 'pf.apiKey'
export const THEME_STORAGE = 'pf.theme'

export type Theme = 'light' | 'dark'
export type AuthProblem = 'MISSING_API_KEY' | 'INVALID_API_KEY' | 'FORBIDDEN'

function read(name: string): string | null {
  try {
    return window.localStorage.getItem(name)
  } catch {
    return null
  }
}

function write(name: string, value: string | null) {
  try {
    if (value === null) window.localStorage.removeItem(name)
    else window.localStorage.setItem(name, value)
  } catch {
    // Private modes may refuse storage: the value then lasts for the page.
  }
}

export function initialTheme(): Theme {
  const stored = read(THEME_STORAGE)
  if (stored === 'light' || stored === 'dark') return stored
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light'
}

export function applyTheme(theme: Theme) {
  document.documentElement.classList.toggle('dark', theme === 'dark')
}

interface UIState {
  apiKey: string
  theme: Theme
  authProblem: AuthProblem | null
  setApiKey: (key: string) => void
  forgetApiKey: () => void
  setTheme: (theme: Theme) => void
  reportAuthProblem: (problem: AuthProblem) => void
  clearAuthProblem: () => void
}

export const useUI = create<UIState>()((set) => ({
  apiKey: read(KEY_STORAGE) ?? '',
  theme: initialTheme(),
  authProblem: null,
  setApiKey: (key) => {
    write(KEY_STORAGE, key)
    set({ apiKey: key, authProblem: null })
  },
  forgetApiKey: () => {
    write(KEY_STORAGE, null)
    set({ apiKey: '' })
  },
  setTheme: (theme) => {
    write(THEME_STORAGE, theme)
    applyTheme(theme)
    set({ theme })
  },
  reportAuthProblem: (problem) => set({ authProblem: problem }),
  clearAuthProblem: () => set({ authProblem: null }),
}))

// keyFromFragment stores a key handed over in the address (#key=…, as the
// demo banner prints it) and removes it from the address bar and history.
export function keyFromFragment() {
  const hash = window.location.hash
  if (!hash.startsWith('#')) return
  const params = new URLSearchParams(hash.slice(1))
  const key = params.get('key')
  if (!key) return
  useUI.getState().setApiKey(key)
  params.delete('key')
  const rest = params.toString()
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + (rest ? '#' + rest : ''))
}
