import { useUI, type AuthProblem } from './store'

// The API's shapes, as far as the dashboard reads them (http/openapi.json
// is the full contract).

export interface Pagination {
  page?: number
  per_page?: number
  total?: number
  total_pages?: number
  next_cursor?: string | null
}

export interface TargetSummary {
  domain: string
  company_name: string | null
  partner_tech: string | null
  vertical: string | null
  country: string | null
  icp_score: number | null
  icp_tier: number | null
  icp_tier_name: string | null
  sw_monthly_visits: number | null
  revenue: number | null
  current_search: string | null
  last_enriched: string | null
}

export interface TargetList {
  data: TargetSummary[]
  pagination: Pagination
}

export interface Stats {
  total: number
  by_tier: Record<string, number>
  by_vertical: Record<string, number>
  by_country: Record<string, number>
}

export interface BreakdownEntry {
  factor: string
  points: number
  max: number
  detail: string
}

export interface Company extends TargetSummary {
  city: string | null
  state: string | null
  tech_spend: number | null
  emails: string[] | null
  phones: string[] | null
  socials: Record<string, string> | null
  exec_titles: string[] | null
  sw_bounce_rate: number | null
  sw_pages_per_visit: number | null
  sw_avg_duration: number | null
  sw_search_traffic_pct: number | null
  sw_rank_global: number | null
  score_reasons: string[] | null
  score_breakdown: BreakdownEntry[] | Record<string, number> | null
  ticker: string | null
  is_public: boolean | null
  gross_margin: number | null
  traffic_growth: number | null
  exec_quote: string | null
  exec_name: string | null
  exec_title: string | null
  quote_source: string | null
  displacement_angle: string | null
  financials_json: Record<string, unknown> | null
  tech_stack_json: Record<string, unknown> | null
  hiring_signals: Record<string, unknown> | null
  matched_case_studies: string[] | null
  excluded: boolean
  excluded_reason: string | null
  last_job_id: string | null
  updated_at: string
}

export interface ProviderState {
  status: string
  error?: string | null
  attempts?: number
  latency_ms?: number | null
  http_status?: number
  note?: string
}

export interface Job {
  job_id: string
  domain: string
  status: 'pending' | 'running' | 'completed' | 'partial' | 'failed'
  progress: number
  providers: Record<string, ProviderState>
  result?: { score?: number; tier?: number; failed?: Record<string, string> } | null
  error?: string | null
  created_at: string
  updated_at: string
  finished_at?: string | null
  requested_by?: string
}

export interface JobList {
  data: Job[]
  pagination: Pagination
}

export interface EnrichAccepted {
  job_id: string
  domain: string
  status: string
  status_url: string
  reused?: string
}

export interface HistoryEvent {
  event_id: string
  position: number
  stream_id: string
  type: string
  recorded_at: string
  actor: string
  data: Record<string, unknown>
}

export interface HistoryPage {
  data: HistoryEvent[]
  next_after: number | null
}

export interface Signals {
  budget: string
  pain: string
  timing: string
}

export interface ScoreChange {
  event_id: string
  at: string
  model_version: string
  score: number
  tier: number
  tier_name: string
  signals?: Signals
  previous: { score: number; tier: number; tier_name: string } | null
  factors: { factor: string; from: number; to: number; delta: number; detail: string }[]
}

export interface ScoreChanges {
  domain: string
  data: ScoreChange[]
}

// ApiError carries the API's error code, so callers branch on it, and the
// Retry-After of a 429.
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfter: number | null
  readonly details: Record<string, unknown>

  constructor(status: number, code: string, message: string, retryAfter: number | null, details: Record<string, unknown>) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
    this.details = details
  }
}

const authCodes = new Set<string>(['MISSING_API_KEY', 'INVALID_API_KEY', 'FORBIDDEN'])

export function isAuthError(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 403 && authCodes.has(err.code)
}

// apiFetch sends the stored key with every call and turns an error answer
// into an ApiError. A refused key is reported to the UI store, which takes
// the user to Settings.
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const key = useUI.getState().apiKey
  if (key) headers.set('X-API-Key', key)
  const res = await fetch(path, { ...init, headers })
  if (res.ok) return res
  let code = 'HTTP_' + res.status
  let message = res.statusText || 'request failed'
  let details: Record<string, unknown> = {}
  try {
    const body = await res.json()
    if (body?.error) {
      code = body.error.code ?? code
      message = body.error.message ?? message
      details = body.error.details ?? {}
    }
  } catch {
    // Not the API's JSON error (a proxy's page, say): keep the status.
  }
  const retry = res.headers.get('Retry-After')
  const err = new ApiError(res.status, code, message, retry !== null && retry !== '' ? Number(retry) : null, details)
  if (isAuthError(err)) useUI.getState().reportAuthProblem(err.code as AuthProblem)
  throw err
}

export async function apiJSON<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await apiFetch(path, { ...init, headers: { Accept: 'application/json', ...(init?.headers ?? {}) } })
  return (await res.json()) as T
}

export function companyPath(domain: string) {
  return '/api/companies/' + encodeURIComponent(domain)
}
