import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useUI, type AuthProblem } from '../store'

const problemText: Record<AuthProblem, string> = {
  MISSING_API_KEY: 'No API key is set. The dashboard needs an API key to read targets: paste yours below.',
  INVALID_API_KEY:
    'The API key was refused: it is unknown, or it has been revoked. Paste a valid API key below (an admin issues one with "partnerforge keys create").',
  FORBIDDEN:
    'This API key is not allowed to do that: its tier is too low for the page you opened. Use an API key of a higher tier.',
}

export default function SettingsPage() {
  const { apiKey, theme, authProblem, setApiKey, forgetApiKey, setTheme } = useUI()
  const [draft, setDraft] = useState(apiKey)
  const [status, setStatus] = useState<string | null>(null)
  const client = useQueryClient()

  const save = (e: FormEvent) => {
    e.preventDefault()
    const key = draft.trim()
    if (!key) {
      setStatus('Enter an API key to save it.')
      return
    }
    setApiKey(key)
    // Every answer so far was for the old key.
    client.removeQueries()
    setStatus('Key saved.')
  }

  return (
    <div className="max-w-2xl space-y-6">
      <h1 className="text-2xl font-bold">Settings</h1>
      {authProblem && (
        <div
          role="alert"
          className="rounded-md border border-amber-400 bg-amber-50 p-4 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          {problemText[authProblem]}
        </div>
      )}
      <section
       
        className="space-y-3 rounded-md border border-gray-200 bg-white p-4 dark:border-gray-800 dark:bg-gray-900"
      >
        <h2 id="key-heading" className="text-lg font-semibold">
          API key
        </h2>
        <p className="text-sm text-gray-600 dark:text-gray-300">
          The key is kept in this browser only (local storage) and sent with every request to the API.
          {apiKey ? ' A key is saved.' : ' No key is saved.'}
        </p>
        <form onSubmit={save} className="flex flex-wrap gap-2">
          <input
            type="password"
            aria-label="API key"
            autoComplete="off"
            spellCheck={false}
            placeholder="pf_live_…"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            className="min-w-72 flex-1 rounded-md border border-gray-300 bg-white px-2 py-1.5 font-mono text-sm dark:border-gray-700 dark:bg-gray-950"
          />
          <button type="submit" className="rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800">
            Save key
          </button>
          <button
            type="button"
            onClick={() => {
              forgetApiKey()
              setDraft('')
              client.removeQueries()
              setStatus('Key forgotten.')
            }}
            className="rounded-md border border-gray-300 px-3 py-1.5 text-sm font-medium hover:bg-gray-100 dark:border-gray-700 dark:hover:bg-gray-800"
          >
            Forget key
          </button>
        </form>
        <p role="status" className="min-h-5 text-sm text-green-800 dark:text-green-300">
          {status}
        </p>
      </section>
      <section
       
        className="space-y-3 rounded-md border border-gray-200 bg-white p-4 dark:border-gray-800 dark:bg-gray-900"
      >
        <h2 id="theme-heading" className="text-lg font-semibold">
          Appearance
        </h2>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            role="switch"
            checked={theme === 'dark'}
            onChange={(e) => setTheme(e.target.checked ? 'dark' : 'light')}
            className="h-4 w-4"
          />
          Dark theme
        </label>
      </section>
    </div>
  )
}
