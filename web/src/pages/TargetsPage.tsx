import { useInfiniteQuery } from '@tanstack/react-query'
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { apiFetch, apiJSON, type TargetList, type TargetSummary } from '../api'
import { ErrorMessage } from '../components/ErrorBoundary'
import { ScoreBadge } from '../components/ScoreBadge'
import { apiQuery, nextSort, sortOf } from '../filters'
import { count, dash, date, money } from '../format'
import { TargetFilters } from './TargetFilters'

// PAGE_SIZE rows are asked for at a time as the list scrolls: the API's
// largest page, as each request spends one of the key's reads.
export const PAGE_SIZE = 200
const ROW_HEIGHT = 41

type PageParam = { page: number } | { cursor: string }

const col = createColumnHelper<TargetSummary>()

// The columns' ids are the API's sort keys where the API sorts by them.
const columns = [
  col.accessor('company_name', {
    id: 'company_name',
    header: 'Company',
    meta: { sortable: true, width: 'w-48' },
    cell: (c) => (
      <Link
        to={'/company/' + encodeURIComponent(c.row.original.domain)}
        className="font-medium text-blue-700 hover:underline dark:text-blue-300"
      >
        {c.getValue() ?? c.row.original.domain}
      </Link>
    ),
  }),
  col.accessor('domain', { id: 'domain', header: 'Domain', meta: { sortable: true, width: 'w-44', wide: true } }),
  col.accessor('icp_score', {
    id: 'icp_score',
    header: 'Score',
    meta: { sortable: true, width: 'w-20' },
    cell: (c) => <ScoreBadge score={c.getValue()} tier={c.row.original.icp_tier} />,
  }),
  col.accessor('vertical', { id: 'vertical', header: 'Vertical', meta: { width: 'w-32', wide: true } }),
  col.accessor('country', { id: 'country', header: 'Country', meta: { width: 'w-20' } }),
  col.accessor('partner_tech', { id: 'partner_tech', header: 'Partner tech', meta: { width: 'w-36', wide: true } }),
  col.accessor('current_search', { id: 'current_search', header: 'Current search', meta: { width: 'w-32', wide: true } }),
  col.accessor('sw_monthly_visits', {
    id: 'sw_monthly_visits',
    header: 'Visits',
    meta: { sortable: true, numeric: true, width: 'w-20' },
    cell: (c) => count(c.getValue()),
  }),
  col.accessor('revenue', {
    id: 'revenue',
    header: 'Revenue',
    meta: { sortable: true, numeric: true, width: 'w-24' },
    cell: (c) => money(c.getValue()),
  }),
  col.accessor('last_enriched', {
    id: 'last_enriched',
    header: 'Last enriched',
    // No fixed width: the last column takes what the others leave.
    meta: { sortable: true },
    cell: (c) => date(c.getValue()),
  }),
]

interface ColumnMeta {
  sortable?: boolean
  numeric?: boolean
  width?: string
  // wide columns show from 1024 px up; below, the table keeps the columns
  // a seller ranks by, and the company page has the rest.
  wide?: boolean
}

const narrowHidden = Object.fromEntries(
  columns.filter((c) => (c.meta as ColumnMeta | undefined)?.wide).map((c) => [c.id as string, false]),
)

// useWide follows the (min-width: 1024px) media query; without matchMedia
// (tests) every column shows.
function useWide(): boolean {
  const query = '(min-width: 1024px)'
  const [wide, setWide] = useState(() => typeof window.matchMedia !== 'function' || window.matchMedia(query).matches)
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return
    const m = window.matchMedia(query)
    const on = () => setWide(m.matches)
    m.addEventListener('change', on)
    return () => m.removeEventListener('change', on)
  }, [])
  return wide
}

function isTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false
  return el.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)
}

export function TargetsPage() {
  const [params, setParams] = useSearchParams()
  const navigate = useNavigate()
  const query = apiQuery(params)
  const qs = query.toString()
  const sort = sortOf(params)
  const searchRef = useRef<HTMLInputElement>(null)
  const scrollRef = useRef<HTMLDivElement>(null)
  const [active, setActive] = useState<number | null>(null)
  const [exporting, setExporting] = useState<string | null>(null)
  const wide = useWide()

  const list = useInfiniteQuery({
    queryKey: ['targets', qs],
    initialPageParam: { page: 1 } as PageParam,
    queryFn: ({ pageParam, signal }) => {
      const p = new URLSearchParams(qs)
      p.set('per_page', String(PAGE_SIZE))
      if ('cursor' in pageParam) p.set('cursor', pageParam.cursor)
      else if (pageParam.page > 1) p.set('page', String(pageParam.page))
      return apiJSON<TargetList>('/api/targets?' + p.toString(), { signal })
    },
    // The API's cursor when it gives one, page numbers otherwise.
    getNextPageParam: (last, all): PageParam | undefined => {
      const pg = last.pagination
      if (pg.next_cursor) return { cursor: pg.next_cursor }
      if (pg.next_cursor === null) return undefined
      const page = pg.page ?? all.length
      return pg.total_pages != null && page < pg.total_pages ? { page: page + 1 } : undefined
    },
  })

  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data])
  const total = list.data?.pages[0]?.pagination.total ?? null

  const virtualizer = useVirtualizer({
    count: rows.length + (list.hasNextPage ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    // Before the first measurement (and where nothing is laid out, as in
    // tests) assume a screenful.
    initialRect: { width: 1200, height: 800 },
  })
  const items = virtualizer.getVirtualItems()
  const firstIndex = items.length ? items[0].index : 0
  const lastIndex = items.length ? items[items.length - 1].index : -1

  // The table model holds only the rows in the virtual window: with
  // 100,000 rows loaded, a model of all of them would be rebuilt on every
  // new page. Row i of the list is visibleRows[i - firstIndex].
  const windowRows = useMemo(() => rows.slice(firstIndex, lastIndex + 1), [rows, firstIndex, lastIndex])
  const table = useReactTable({
    data: windowRows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => r.domain,
    manualSorting: true,
    state: { sorting: [{ id: sort.sort, desc: sort.order === 'desc' }], columnVisibility: wide ? {} : narrowHidden },
  })
  const visibleRows = table.getRowModel().rows

  // Ask for the next page while the rows in view are still half a page
  // from the end of those loaded, so a steady scroll rarely waits.
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - PAGE_SIZE / 2) void fetchNextPage()
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage])

  // A new view starts at its top with no active row.
  useEffect(() => {
    setActive(null)
    scrollRef.current?.scrollTo({ top: 0 })
  }, [qs])

  // Keyboard: / searches, arrows or j/k move the active row, Enter opens it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault()
        searchRef.current?.focus()
        return
      }
      if (isTyping(e.target) || rows.length === 0) return
      const down = e.key === 'ArrowDown' || e.key === 'j'
      const up = e.key === 'ArrowUp' || e.key === 'k'
      if (down || up) {
        e.preventDefault()
        setActive((cur) => {
          const next = cur === null ? 0 : Math.max(0, Math.min(rows.length - 1, cur + (down ? 1 : -1)))
          virtualizer.scrollToIndex(next, { align: 'auto' })
          return next
        })
        return
      }
      if (e.key === 'Enter' && active !== null && rows[active]) {
        const t = e.target as HTMLElement | null
        if (t && (t.tagName === 'A' || t.tagName === 'BUTTON')) return
        e.preventDefault()
        navigate('/company/' + encodeURIComponent(rows[active].domain))
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [rows, active, navigate, virtualizer])

  const exportCSV = async () => {
    setExporting('Preparing the CSV…')
    try {
      const res = await apiFetch('/api/targets.csv' + (qs ? '?' + qs : ''), { headers: { Accept: 'text/csv' } })
      const blob = await res.blob()
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = 'targets.csv'
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setExporting('CSV downloaded.')
    } catch (err) {
      setExporting('Export failed: ' + (err instanceof Error ? err.message : String(err)))
    }
  }

  const paddingTop = items.length ? items[0].start : 0
  const paddingBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0
  const colCount = table.getVisibleLeafColumns().length

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-bold">Targets</h1>
        <div className="flex items-center gap-3">
          <p data-testid="target-count" aria-live="polite" className="text-sm text-gray-600 dark:text-gray-300">
            {total === null ? 'Counting…' : `${total} ${total === 1 ? 'target' : 'targets'}`}
          </p>
          <button
            type="button"
            onClick={exportCSV}
            className="rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-50"
            disabled={exporting === 'Preparing the CSV…'}
          >
            Export CSV
          </button>
          {exporting && (
            <span role="status" className="text-sm text-gray-600 dark:text-gray-300">
              {exporting}
            </span>
          )}
        </div>
      </div>
      <TargetFilters searchRef={searchRef} />
      {list.isError && !list.data ? (
        <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <div
          ref={scrollRef}
          className="h-[calc(100vh-19rem)] min-h-96 overflow-auto rounded-md border border-gray-200 bg-white dark:border-gray-800 dark:bg-gray-900"
          aria-busy={list.isPending || isFetchingNextPage}
        >
          <table aria-label="Targets" aria-rowcount={total !== null ? total + 1 : -1} className="w-full table-fixed border-collapse text-sm">
            <thead className="sticky top-0 z-10 bg-gray-100 dark:bg-gray-800">
              {table.getHeaderGroups().map((hg) => (
                <tr key={hg.id} aria-rowindex={1}>
                  {hg.headers.map((h) => {
                    const meta = (h.column.columnDef.meta ?? {}) as ColumnMeta
                    const isSorted = sort.sort === h.column.id
                    const label = String(h.column.columnDef.header)
                    return (
                      <th
                        key={h.id}
                        scope="col"
                        aria-sort={meta.sortable ? (isSorted ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none') : undefined}
                        className={
                          'px-3 py-2 text-left font-semibold text-gray-700 dark:text-gray-200 ' +
                          (meta.width ?? '') +
                          (meta.numeric ? ' text-right' : '')
                        }
                      >
                        {meta.sortable ? (
                          <button
                            type="button"
                            onClick={() => {
                              const s = nextSort(sort, h.column.id)
                              setParams((p) => {
                                const n = new URLSearchParams(p)
                                n.set('sort', s.sort)
                                n.set('order', s.order)
                                return n
                              })
                            }}
                            className="inline-flex items-center gap-1 rounded hover:text-blue-700 dark:hover:text-blue-300"
                          >
                            {label}
                            <span aria-hidden="true" className="text-xs">
                              {isSorted ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}
                            </span>
                          </button>
                        ) : (
                          flexRender(h.column.columnDef.header, h.getContext())
                        )}
                      </th>
                    )
                  })}
                </tr>
              ))}
            </thead>
            <tbody>
              {list.isPending &&
                Array.from({ length: 8 }, (_, i) => (
                  <tr key={'sk' + i} aria-hidden="true">
                    <td colSpan={colCount} className="px-3 py-2">
                      <div className="h-5 animate-pulse rounded bg-gray-200 dark:bg-gray-700" />
                    </td>
                  </tr>
                ))}
              {!list.isPending && rows.length === 0 && (
                <tr>
                  <td colSpan={colCount} className="px-3 py-10 text-center text-gray-600 dark:text-gray-300">
                    No targets match these filters.
                  </td>
                </tr>
              )}
              {paddingTop > 0 && (
                <tr aria-hidden="true">
                  <td colSpan={colCount} style={{ height: paddingTop, padding: 0 }} />
                </tr>
              )}
              {items.map((vi) => {
                const row = visibleRows[vi.index - firstIndex]
                if (!row) {
                  return (
                    <tr key="loader" aria-hidden="true" style={{ height: ROW_HEIGHT }}>
                      <td colSpan={colCount} className="px-3 text-gray-500">
                        Loading more targets…
                      </td>
                    </tr>
                  )
                }
                const selected = active === vi.index
                return (
                  <tr
                    key={row.original.domain}
                    data-testid="target-row"
                    data-domain={row.original.domain}
                    aria-rowindex={vi.index + 2}
                    aria-selected={selected}
                    onClick={() => setActive(vi.index)}
                    style={{ height: ROW_HEIGHT }}
                    className={
                      'border-t border-gray-100 dark:border-gray-800 ' +
                      (selected ? 'bg-blue-50 outline outline-2 -outline-offset-2 outline-blue-600 dark:bg-blue-950' : 'hover:bg-gray-50 dark:hover:bg-gray-800/60')
                    }
                  >
                    {row.getVisibleCells().map((cell) => {
                      const meta = (cell.column.columnDef.meta ?? {}) as ColumnMeta
                      const value = cell.getValue()
                      return (
                        <td
                          key={cell.id}
                          // The whole text of a cut-off cell on hover.
                          title={typeof value === 'string' && value.length > 14 ? value : undefined}
                          className={'truncate px-3 py-2' + (meta.numeric ? ' text-right tabular-nums' : '')}
                        >
                          {value == null && cell.column.id !== 'company_name'
                            ? dash
                            : flexRender(cell.column.columnDef.cell, cell.getContext())}
                        </td>
                      )
                    })}
                  </tr>
                )
              })}
              {paddingBottom > 0 && (
                <tr aria-hidden="true">
                  <td colSpan={colCount} style={{ height: paddingBottom, padding: 0 }} />
                </tr>
              )}
            </tbody>
          </table>
          {list.isError && list.data && (
            <div className="p-3">
              <ErrorMessage error={list.error} onRetry={() => void list.fetchNextPage()} />
            </div>
          )}
        </div>
      )}
    </div>
  )
}
