// Checks the first page's JavaScript against its budget: reads the built
// index.html, gzips every script it loads up front (the entry module and
// its modulepreload links; lazy routes are not counted) and fails when the
// total is over the budget. A size, not a timing: the same build always
// gives the same answer.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_BYTES = 200 * 1024

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
let html
try {
  html = readFileSync(join(dist, 'index.html'), 'utf8')
} catch {
  console.error(`size: ${join(dist, 'index.html')} is missing; run npm run build first`)
  process.exit(2)
}

const scripts = new Set()
for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) scripts.add(m[1])
for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"[^>]*>/g)) scripts.add(m[1])
if (html.match(/<script\b(?![^>]*\bsrc=)[^>]*>\s*\S/)) {
  console.error('size: index.html has an inline script, which the Content-Security-Policy blocks')
  process.exit(1)
}
if (scripts.size === 0) {
  console.error('size: index.html loads no script')
  process.exit(1)
}

let total = 0
for (const src of scripts) {
  const bytes = readFileSync(join(dist, src.replace(/^\//, '')))
  const gz = gzipSync(bytes, { level: 9 }).length
  total += gz
  console.log(`${(gz / 1024).toFixed(1).padStart(8)} KB gzip  ${src} (${(bytes.length / 1024).toFixed(1)} KB raw)`)
}
const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER'
console.log(`${(total / 1024).toFixed(1).padStart(8)} KB gzip  first-page JavaScript, ${verdict} the budget of ${BUDGET_BYTES / 1024} KB`)
process.exit(total <= BUDGET_BYTES ? 0 : 1)
