// The Targets view's filters live in the address, under the API's own
// parameter names, so a link reproduces the view and the API does all the
// filtering, sorting and paging.

export const FILTER_PARAMS = ['search', 'tier', 'vertical', 'country', 'score_min', 'score_max', 'sort', 'order'] as const

export type SortKey = 'icp_score' | 'company_name' | 'domain' | 'revenue' | 'sw_monthly_visits' | 'last_enriched'

export const DEFAULT_SORT: SortKey = 'icp_score'

// Names and domains read best A→Z; numbers and dates biggest and newest
// first — the API's own defaults.
export function defaultOrder(sort: string): 'asc' | 'desc' {
  return sort === 'company_name' || sort === 'domain' ? 'asc' : 'desc'
}

export const TIERS = [
  { value: '1', name: 'Hot' },
  { value: '2', name: 'Warm' },
  { value: '3', name: 'Cool' },
  { value: '4', name: 'Cold' },
] as const

export interface SortState {
  sort: string
  order: 'asc' | 'desc'
}

export function sortOf(params: URLSearchParams): SortState {
  const sort = params.get('sort') || DEFAULT_SORT
  const o = params.get('order')
  return { sort, order: o === 'asc' || o === 'desc' ? o : defaultOrder(sort) }
}

// nextSort is what a click on a column's header does: a new column sorts
// in its natural order, the current one flips.
export function nextSort(current: SortState, column: string): SortState {
  if (current.sort !== column) return { sort: column, order: defaultOrder(column) }
  return { sort: column, order: current.order === 'asc' ? 'desc' : 'asc' }
}

// apiQuery keeps the filter parameters of the address, in order, dropping
// empty ones: the same string serves the list, the CSV export and the
// query cache's key.
export function apiQuery(params: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams()
  for (const name of FILTER_PARAMS) {
    for (const v of params.getAll(name)) {
      if (v.trim() !== '') q.append(name, v)
    }
  }
  return q
}

// withParam returns params with name set to values (none removes it).
export function withParam(params: URLSearchParams, name: string, values: string[]): URLSearchParams {
  const next = new URLSearchParams(params)
  next.delete(name)
  for (const v of values) next.append(name, v)
  return next
}
