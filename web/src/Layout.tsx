import { Suspense, useEffect, useRef } from 'react'
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { PageErrorBoundary } from './components/ErrorBoundary'
import { Skeleton } from './components/Skeleton'
import { useUI } from './store'

const linkClass = ({ isActive }: { isActive: boolean }) =>
  'rounded-md px-3 py-2 text-sm font-medium ' +
  (isActive
    ? 'bg-blue-700 text-white'
    : 'text-gray-700 hover:bg-gray-200 dark:text-gray-200 dark:hover:bg-gray-800')

// Layout is the frame of every page: the main navigation, and the move to
// Settings when the API refuses the key.
export function Layout() {
  const location = useLocation()
  const navigate = useNavigate()
  const authProblem = useUI((s) => s.authProblem)
  const clearAuthProblem = useUI((s) => s.clearAuthProblem)
  const previous = useRef(location.pathname)
  useEffect(() => {
    const left = previous.current === '/settings' && location.pathname !== '/settings'
    previous.current = location.pathname
    // Leaving Settings without fixing the key is allowed: the next refusal
    // brings the user back with the reason.
    if (left) {
      clearAuthProblem()
      return
    }
    if (authProblem && location.pathname !== '/settings') navigate('/settings')
  }, [authProblem, location.pathname, navigate, clearAuthProblem])

  return (
    <div className="min-h-screen bg-gray-50 text-gray-900 dark:bg-gray-950 dark:text-gray-100">
      <header className="border-b border-gray-200 bg-white dark:border-gray-800 dark:bg-gray-900">
        <div className="mx-auto flex max-w-screen-2xl items-center gap-6 px-4 py-2">
          <span className="text-lg font-bold tracking-tight">PartnerForge</span>
          <nav aria-label="Main" className="flex gap-1">
            <NavLink to="/" end className={linkClass}>
              Targets
            </NavLink>
            <NavLink to="/jobs" className={linkClass}>
              Jobs
            </NavLink>
            <NavLink to="/settings" className={linkClass}>
              Settings
            </NavLink>
          </nav>
        </div>
      </header>
      <main className="mx-auto max-w-screen-2xl px-4 py-4">
        <PageErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Skeleton lines={6} label="Loading page" />}>
            <Outlet />
          </Suspense>
        </PageErrorBoundary>
      </main>
    </div>
  )
}
