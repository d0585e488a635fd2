import { Component, type ErrorInfo, type ReactNode } from 'react'
import { ApiError, isAuthError } from '../api'

interface Props {
  children: ReactNode
  // resetKey changes (a new page or domain) clear a shown error.
  resetKey?: string
}

interface State {
  error: Error | null
}

// PageErrorBoundary keeps a broken page from taking the navigation with it:
// the error in words and a way to try again.
export class PageErrorBoundary extends Component<Props, State> {
  state: State = { error: null }

  static getDerivedStateFromError(error: Error): State {
    return { error }
  }

  componentDidUpdate(prev: Props) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null })
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('page failed', error, info.componentStack)
  }

  render() {
    if (!this.state.error) return this.props.children
    return <ErrorMessage error={this.state.error} onRetry={() => this.setState({ error: null })} />
  }
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  // A refused key is explained on Settings, where the layout is taking the
  // user: no second alert here.
  if (isAuthError(error)) return <p role="status">The API refused the key; opening Settings…</p>
  let message = error instanceof Error ? error.message : String(error)
  if (error instanceof ApiError && error.status === 429) {
    message = `Too many requests — try again in ${error.retryAfter ?? 'a few'} s. ${error.message}`
  }
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
      <p className="font-semibold">Something went wrong.</p>
      <p className="mt-1">{message}</p>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="mt-3 rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800"
        >
          Try again
        </button>
      )}
    </div>
  )
}
