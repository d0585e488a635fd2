import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { lazy } from 'react'
import { RouterProvider, type RouteObject, type createBrowserRouter } from 'react-router'
import { ApiError } from './api'
import { Layout } from './Layout'
import { TargetsPage } from './pages/TargetsPage'

// The first page is in the main bundle; the others load when visited.
const CompanyPage = lazy(() => import('./pages/CompanyPage'))
const JobsPage = lazy(() => import('./pages/JobsPage'))
const SettingsPage = lazy(() => import('./pages/SettingsPage'))

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <TargetsPage /> },
      { path: 'company/:domain', element: <CompanyPage /> },
      { path: 'jobs', element: <JobsPage /> },
      { path: 'settings', element: <SettingsPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]

function NotFound() {
  return (
    <>
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p className="mt-2">There is no page at this address. The navigation above leads to the dashboard's pages.</p>
    </>
  )
}

export function newQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A refusal (bad key, bad filter, unknown domain) will not change
        // on its own; a 5xx or a network failure may.
        retry: (failures, err) => !(err instanceof ApiError && err.status < 500) && failures < 2,
        staleTime: 30_000,
        refetchOnWindowFocus: false,
      },
    },
  })
}

export function App({ router, client }: { router: ReturnType<typeof createBrowserRouter>; client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  )
}
