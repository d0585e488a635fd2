import { useQuery } from '@tanstack/react-query'
import { useEffect, useState, type RefObject } from 'react'
import { useSearchParams } from 'react-router'
import { apiJSON, type Stats } from '../api'
import { TIERS, withParam } from '../filters'
import { tierClass, type TierKey } from '../format'

const regionNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'region' }) : null

function countryLabel(code: string): string {
  if (!regionNames || !/^[A-Z]{2}$/.test(code)) return code
  try {
    const name = regionNames.of(code)
    return name && name !== code ? `${name} (${code})` : code
  } catch {
    return code
  }
}

// byCount orders a stats breakdown biggest first, then by name.
function byCount(m: Record<string, number> | undefined): [string, number][] {
  return Object.entries(m ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

const inputClass =
  'rounded-md border border-gray-300 bg-white px-2 py-1.5 text-sm dark:border-gray-700 dark:bg-gray-900'

export function TargetFilters({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const [params, setParams] = useSearchParams()
  const stats = useQuery({ queryKey: ['stats'], queryFn: ({ signal }) => apiJSON<Stats>('/api/stats', { signal }), staleTime: 300_000 })

  // The search box writes the address after a pause in typing, not on each
  // key, so the list is asked once per word.
  const urlSearch = params.get('search') ?? ''
  const [search, setSearch] = useState(urlSearch)
  useEffect(() => setSearch(urlSearch), [urlSearch])
  useEffect(() => {
    if (search === urlSearch) return
    const t = setTimeout(() => {
      setParams((p) => withParam(p, 'search', search.trim() ? [search] : []), { replace: true })
    }, 250)
    return () => clearTimeout(t)
  }, [search, urlSearch, setParams])

  const tier = params.get('tier')
  const verticals = params.getAll('vertical')
  const countries = params.getAll('country')

  const [scoreMin, setScoreMin] = useState(params.get('score_min') ?? '')
  const [scoreMax, setScoreMax] = useState(params.get('score_max') ?? '')
  useEffect(() => setScoreMin(params.get('score_min') ?? ''), [params])
  useEffect(() => setScoreMax(params.get('score_max') ?? ''), [params])
  const validScore = (v: string) => v === '' || (/^\d{1,3}$/.test(v) && Number(v) <= 100)
  const rangeError =
    !validScore(scoreMin) || !validScore(scoreMax)
      ? 'Scores are whole numbers from 0 to 100.'
      : scoreMin !== '' && scoreMax !== '' && Number(scoreMin) > Number(scoreMax)
        ? 'The minimum score must not exceed the maximum.'
        : null
  const setScore = (name: 'score_min' | 'score_max', v: string) => {
    if (name === 'score_min') setScoreMin(v)
    else setScoreMax(v)
    const min = name === 'score_min' ? v : scoreMin
    const max = name === 'score_max' ? v : scoreMax
    if (!validScore(min) || !validScore(max) || (min !== '' && max !== '' && Number(min) > Number(max))) return
    setParams((p) => withParam(withParam(p, 'score_min', min ? [min] : []), 'score_max', max ? [max] : []), { replace: true })
  }

  const hasFilters = ['search', 'tier', 'vertical', 'country', 'score_min', 'score_max'].some((n) => params.has(n))

  return (
    <div className="flex flex-wrap items-end gap-x-4 gap-y-3" role="search" aria-label="Filter targets">
      <div className="flex flex-col gap-1">
        <label htmlFor="target-search" className="text-xs font-medium text-gray-600 dark:text-gray-400">
          Search <kbd className="rounded border border-gray-300 px-1 text-[10px] dark:border-gray-600">/</kbd>
        </label>
        <input
          id="target-search"
          ref={searchRef}
          type="search"
          aria-label="Search targets"
          placeholder="Company or domain"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className={inputClass + ' w-56'}
        />
      </div>
      <fieldset className="flex flex-col gap-1">
        <legend className="mb-1 text-xs font-medium text-gray-600 dark:text-gray-400">Tier</legend>
        <div className="flex gap-1">
          {TIERS.map((t) => {
            const on = tier === t.value
            const key = t.name.toLowerCase() as TierKey
            return (
              <button
                key={t.value}
                type="button"
                aria-pressed={on}
                onClick={() => setParams((p) => withParam(p, 'tier', on ? [] : [t.value]))}
                className={
                  'rounded-full px-3 py-1 text-sm font-medium ring-1 ring-inset ' +
                  (on
                    ? tierClass[key] + ' ring-2'
                    : 'bg-white text-gray-700 ring-gray-300 hover:bg-gray-100 dark:bg-gray-900 dark:text-gray-200 dark:ring-gray-700')
                }
              >
                {t.name}
                {stats.data?.by_tier?.[t.value] != null && (
                  <span aria-hidden="true" className={'ml-1 text-xs' + (on ? '' : ' text-gray-600 dark:text-gray-300')}>
                    {stats.data.by_tier[t.value]}
                  </span>
                )}
              </button>
            )
          })}
        </div>
      </fieldset>
      <CountSelect
        id="filter-vertical"
        label="Vertical"
        selected={verticals}
        counts={stats.data?.by_vertical}
        onChange={(values) => setParams((p) => withParam(p, 'vertical', values))}
      />
      <CountSelect
        id="filter-country"
        label="Country"
        selected={countries}
        counts={stats.data?.by_country}
        optionLabel={countryLabel}
        onChange={(values) => setParams((p) => withParam(p, 'country', values))}
      />
      <div className="flex flex-col gap-1">
        <span className="text-xs font-medium text-gray-600 dark:text-gray-400" id="score-range-label">
          Score
        </span>
        <div className="flex items-center gap-1" role="group" aria-labelledby="score-range-label">
          <ScoreInput
            label="Minimum score"
            placeholder="0"
            value={scoreMin}
            invalid={Boolean(rangeError)}
            onChange={(v) => setScore('score_min', v)}
          />
          <span aria-hidden="true">–</span>
          <ScoreInput
            label="Maximum score"
            placeholder="100"
            value={scoreMax}
            invalid={Boolean(rangeError)}
            onChange={(v) => setScore('score_max', v)}
          />
        </div>
        {rangeError && (
          <p id="score-range-error" className="text-xs text-red-700 dark:text-red-300">
            {rangeError}
          </p>
        )}
      </div>
      {hasFilters && (
        <button
          type="button"
          onClick={() => {
            const keep = new URLSearchParams()
            for (const n of ['sort', 'order']) if (params.get(n)) keep.set(n, params.get(n)!)
            setParams(keep)
          }}
          className="rounded-md px-2 py-1.5 text-sm text-blue-700 underline hover:text-blue-900 dark:text-blue-300"
        >
          Clear filters
        </button>
      )}
    </div>
  )
}

// CountSelect is a multi-select of the values the stats route counts, most
// frequent first, each with its count. Values in the address that the
// counts do not list (a link from another day's data) stay selectable, so
// the filter the user sees is the one the API applies.
function CountSelect({
  id,
  label,
  selected,
  counts,
  optionLabel = (v) => v,
  onChange,
}: {
  id: string
  label: string
  selected: string[]
  counts: Record<string, number> | undefined
  optionLabel?: (value: string) => string
  onChange: (values: string[]) => void
}) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-gray-600 dark:text-gray-400">
        {label}
      </label>
      <select
        id={id}
        multiple
        size={3}
        value={selected}
        onChange={(e) => onChange(Array.from(e.target.selectedOptions, (o) => o.value))}
        className={inputClass + ' w-48'}
      >
        {byCount(counts).map(([v, n]) => (
          <option key={v} value={v}>
            {optionLabel(v)} ({n})
          </option>
        ))}
        {selected
          .filter((v) => !(counts && v in counts))
          .map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
      </select>
    </div>
  )
}

// ScoreInput is one end of the score range; both ends point at the range's
// one error message.
function ScoreInput({
  label,
  placeholder,
  value,
  invalid,
  onChange,
}: {
  label: string
  placeholder: string
  value: string
  invalid: boolean
  onChange: (value: string) => void
}) {
  return (
    <input
      type="number"
      inputMode="numeric"
      min={0}
      max={100}
      aria-label={label}
      aria-invalid={invalid ? true : undefined}
      aria-describedby={invalid ? 'score-range-error' : undefined}
      placeholder={placeholder}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      className={inputClass + ' w-20'}
    />
  )
}
