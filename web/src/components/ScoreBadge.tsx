import { tierClass, tierKey } from '../format'

export function ScoreBadge({ score, tier, large = false }: { score: number | null; tier: number | null; large?: boolean }) {
  const key = tierKey(tier)
  return (
    <span
      data-testid="score-badge"
      data-tier={key ?? 'none'}
      className={
        'inline-flex min-w-10 justify-center rounded-md font-semibold tabular-nums ring-1 ring-inset ' +
        (large ? 'px-3 py-1 text-xl ' : 'px-2 py-0.5 text-sm ') +
        (key ? tierClass[key] : 'bg-gray-100 text-gray-600 ring-gray-300 dark:bg-gray-800 dark:text-gray-300')
      }
      title={key ? `Score ${score ?? 'unknown'}, tier ${key}` : 'Not scored'}
    >
      {score ?? '—'}
    </span>
  )
}
