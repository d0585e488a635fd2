const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })
const whole = new Intl.NumberFormat('en-US')
const dateFmt = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric' })
const dateTimeFmt = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

export const dash = '—'

export function money(v: number | null | undefined): string {
  return v == null ? dash : '$' + compact.format(v)
}

export function count(v: number | null | undefined): string {
  return v == null ? dash : compact.format(v)
}

export function integer(v: number | null | undefined): string {
  return v == null ? dash : whole.format(v)
}

// percent shows a fraction 0–1 as a percentage.
export function percent(v: number | null | undefined): string {
  return v == null ? dash : (v * 100).toFixed(1).replace(/\.0$/, '') + '%'
}

// points shows percentage points (traffic growth) with a sign.
export function points(v: number | null | undefined): string {
  if (v == null) return dash
  return (v > 0 ? '+' : '') + v.toFixed(1).replace(/\.0$/, '') + '%'
}

export function date(v: string | null | undefined): string {
  return v ? dateFmt.format(new Date(v)) : dash
}

export function dateTime(v: string | null | undefined): string {
  return v ? dateTimeFmt.format(new Date(v)) : dash
}

export type TierKey = 'hot' | 'warm' | 'cool' | 'cold'

export function tierKey(tier: number | null | undefined): TierKey | null {
  switch (tier) {
    case 1:
      return 'hot'
    case 2:
      return 'warm'
    case 3:
      return 'cool'
    case 4:
      return 'cold'
    default:
      return null
  }
}

export const tierName: Record<TierKey, string> = { hot: 'Hot', warm: 'Warm', cool: 'Cool', cold: 'Cold' }

// Tier colours: Hot red, Warm amber, Cool blue, Cold grey, readable in both
// themes.
export const tierClass: Record<TierKey, string> = {
  hot: 'bg-red-100 text-red-800 ring-red-600/30 dark:bg-red-900/60 dark:text-red-100',
  warm: 'bg-amber-100 text-amber-900 ring-amber-600/30 dark:bg-amber-900/60 dark:text-amber-100',
  cool: 'bg-blue-100 text-blue-800 ring-blue-600/30 dark:bg-blue-900/60 dark:text-blue-100',
  cold: 'bg-gray-200 text-gray-800 ring-gray-500/30 dark:bg-gray-700 dark:text-gray-100',
}

export const providerNames: Record<string, string> = {
  builtwith: 'BuiltWith',
  similarweb: 'SimilarWeb',
  yahoo_finance: 'Yahoo Finance',
}
