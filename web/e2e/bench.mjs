// Browser measurements of the dashboard (make bench-web; a benchmark, not a
// test: it prints figures and asserts nothing about speed). scripts/e2e.sh
// starts the service with the demo list and sets E2E_BASE_URL and E2E_API_KEY.
//
//   1. JavaScript shipped for the first page: the script responses' encoded
//      sizes as served, and each body gzipped (-9) here, against the 200 KB budget.
//   2. Navigation to the first target rows visible, and to the company
//      heading, p50/p90 over BENCH_LOADS (10) cold loads (a new browser
//      context each: no HTTP cache), beside the same-run baseline: a
//      navigation to /health in the same browser.
//   3. Scrolling the whole list to its end: long tasks (PerformanceObserver
//      'longtask', over 50 ms by definition) while every row passes by.
import { cpus, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

const baseURL = (process.env.E2E_BASE_URL || '').replace(/\/$/, '');
const apiKey = process.env.E2E_API_KEY || '';
if (!baseURL || !apiKey) {
  console.error('bench.mjs: E2E_BASE_URL and E2E_API_KEY are needed: run it through scripts/e2e.sh bench (make bench-web)');
  process.exit(2);
}
const loads = Number(process.env.BENCH_LOADS || 10);
const budget = 200 * 1024;
const companyDomain = process.env.BENCH_COMPANY || 'northwind-hardware.com';
// BENCH_SCROLL_FRAMES stops the scroll after that many frames (for a list
// too long to scroll whole, such as E2E_DEMO_ROWS=100967's 100,000 rows).
const scrollFrames = Number(process.env.BENCH_SCROLL_FRAMES || 0);
const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args });
const storageState = {
  cookies: [],
  origins: [{ origin: new URL(baseURL).origin, localStorage: [{ name: 'pf.apiKey', value: apiKey }, { name: 'pf.theme', value: 'light' }] }],
};
const newContext = () => browser.newContext({ storageState, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });

const api = async (path) => {
  const res = await fetch(baseURL + path, { headers: { 'X-API-Key': apiKey } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return res.json();
};

const fmtBytes = (n) => n.toLocaleString('en-US');
const fmtMs = (n) => `${n.toFixed(1)} ms`;
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const summary = (values) => ({ p50: percentile(values, 50), p90: percentile(values, 90) });

// An init script that stamps performance.now() (milliseconds since the
// navigation started) at the first animation frame after `ready()` holds,
// checked on every DOM change: the frame in which the state is painted.
function stampWhen(ready) {
  return `(() => {
    const ready = ${ready};
    let done = false;
    const check = () => {
      if (done || !ready()) return;
      done = true;
      requestAnimationFrame(() => { window.__pfReadyAt = performance.now(); });
    };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  })();`;
}

async function timedLoad(path, ready) {
  const context = await newContext();
  try {
    await context.addInitScript(stampWhen(ready));
    const page = await context.newPage();
    await page.goto(baseURL + path, { waitUntil: 'commit' });
    await page.waitForFunction(() => typeof window.__pfReadyAt === 'number', null, { timeout: 60_000 });
    return await page.evaluate(() => window.__pfReadyAt);
  } finally {
    await context.close();
  }
}

async function healthLoad() {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${baseURL}/health`, { waitUntil: 'load' });
    return await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
  } finally {
    await context.close();
  }
}

// 1. JavaScript of the first page.
async function firstPageScripts() {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const scripts = [];
    page.on('requestfinished', (req) => {
      if (req.resourceType() === 'script') scripts.push(req);
    });
    await page.goto(baseURL + '/');
    await page.getByTestId('target-row').first().waitFor();
    await page.waitForLoadState('networkidle');
    let raw = 0, served = 0, gz = 0;
    const encodings = new Set();
    for (const req of scripts) {
      const res = await req.response();
      const body = await res.body();
      const sizes = await req.sizes();
      raw += body.length;
      served += sizes.responseBodySize;
      gz += gzipSync(body, { level: 9 }).length;
      encodings.add((await res.headerValue('content-encoding')) || 'identity');
    }
    return { files: scripts.length, raw, served, gz, encodings: [...encodings].join(', ') };
  } finally {
    await context.close();
  }
}

// The scrolling baseline: a static page as tall as the list scrolled by the
// same number of frames in the same browser, so long tasks that come from a
// busy machine rather than from the dashboard show up here too.
async function scrollStatic(frames, rowHeightPx) {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__pfLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__pfLongTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${baseURL}/health`);
    return await page.evaluate(async ({ frames, height }) => {
      document.body.innerHTML = '';
      const tall = document.createElement('div');
      tall.style.height = `${height}px`;
      document.body.appendChild(tall);
      const scroller = document.scrollingElement;
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      window.__pfLongTasks.length = 0;
      const start = performance.now();
      for (let i = 0; i < frames; i++) {
        scroller.scrollTop += scroller.clientHeight;
        await frame();
      }
      const took = performance.now() - start;
      await frame();
      const tasks = [...window.__pfLongTasks];
      return { took, over50: tasks.length, longest: tasks.length ? Math.max(...tasks) : 0, blocked: tasks.reduce((a, d) => a + d, 0) };
    }, { frames, height: frames * rowHeightPx });
  } finally {
    await context.close();
  }
}

// 3. Scroll the list from top to bottom, one viewport per frame, until every
// target has been rendered once.
async function scrollToEnd(total) {
  const context = await newContext();
  try {
    await context.addInitScript(() => {
      window.__pfLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__pfLongTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    const page = await context.newPage();
    await page.goto(baseURL + '/');
    await page.getByTestId('target-row').first().waitFor();
    await page.waitForLoadState('networkidle');
    return await page.evaluate(async ({ total, maxFrames }) => {
      const firstRow = document.querySelector('[data-testid="target-row"]');
      let scroller = firstRow.parentElement;
      while (scroller && scroller !== document.body) {
        const style = getComputedStyle(scroller);
        if (/(auto|scroll)/.test(style.overflowY) && scroller.scrollHeight > scroller.clientHeight) break;
        scroller = scroller.parentElement;
      }
      if (!scroller || scroller === document.body) scroller = document.scrollingElement;
      const seen = new Set();
      const collect = () => document.querySelectorAll('[data-testid="target-row"]').forEach((r) => seen.add(r.dataset.domain));
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      window.__pfLongTasks.length = 0; // only what happens while scrolling
      const start = performance.now();
      let lastProgress = performance.now();
      let lastSeen = 0;
      let frames = 0;
      while (seen.size < total && performance.now() - lastProgress < 15_000 && !(maxFrames && frames >= maxFrames)) {
        scroller.scrollTop += scroller.clientHeight;
        await frame();
        frames++;
        collect();
        if (seen.size > lastSeen) {
          lastSeen = seen.size;
          lastProgress = performance.now();
        }
      }
      const took = performance.now() - start;
      await frame();
      const tasks = [...window.__pfLongTasks];
      return {
        seen: seen.size,
        frames,
        took,
        longTasks: tasks.length,
        over50: tasks.filter((d) => d > 50).length,
        longest: tasks.length ? Math.max(...tasks) : 0,
        blocked: tasks.reduce((a, d) => a + d, 0),
        scroller: scroller === document.scrollingElement ? 'the document' : `<${scroller.tagName.toLowerCase()}>`,
      };
    }, { total, maxFrames: scrollFrames });
  } finally {
    await context.close();
  }
}

const stats = await api('/api/stats');
const company = await api(`/api/companies/${companyDomain}`);
// The machine's load says how far these wall-clock figures can be trusted.
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`Dashboard in headless Chromium ${browser.version()} over loopback (${baseURL}), ${stats.total.toLocaleString('en-US')} targets`);
console.log(`machine: ${cpus().length} cores, load average ${load()} at the start`);

const js = await firstPageScripts();
console.log(
  `JavaScript for the first page: ${js.files} file${js.files === 1 ? '' : 's'}, ${fmtBytes(js.raw)} bytes raw, ` +
    `${fmtBytes(js.served)} bytes as served (${js.encodings}), ${fmtBytes(js.gz)} bytes gzip -9: ` +
    `${((js.gz / budget) * 100).toFixed(0)}% of the 200 KB budget (${fmtBytes(budget)} bytes)`,
);

// Interleaved, so a burst of load on the shared machine hits every series alike.
const health = [], rows = [], heading = [];
const rowsReady = `() => !!document.querySelector('[data-testid="target-row"]')`;
const headingReady = `() => (document.querySelector('h1')?.textContent || '').trim() === ${JSON.stringify(company.company_name)}`;
for (let i = 0; i < loads; i++) {
  health.push(await healthLoad());
  rows.push(await timedLoad('/', rowsReady));
  heading.push(await timedLoad(`/company/${companyDomain}`, headingReady));
}
const h = summary(health), r = summary(rows), c = summary(heading);
console.log(`baseline: navigation to /health, load event     p50 ${fmtMs(h.p50)}  p90 ${fmtMs(h.p90)}  (${loads} cold loads)`);
console.log(`Targets: navigation to first rows visible        p50 ${fmtMs(r.p50)}  p90 ${fmtMs(r.p90)}  (${(r.p50 / h.p50).toFixed(1)}x baseline p50)`);
console.log(`Company: navigation to the heading (${companyDomain}) p50 ${fmtMs(c.p50)}  p90 ${fmtMs(c.p90)}  (${(c.p50 / h.p50).toFixed(1)}x baseline p50)`);

const s = await scrollToEnd(stats.total);
console.log(
  `Scroll ${s.seen < stats.total ? `for ${s.frames} frames` : 'to the end'} (${s.scroller} scrolled one viewport a frame, ${s.frames} frames): ${s.seen.toLocaleString('en-US')} of ${stats.total.toLocaleString('en-US')} rows rendered in ${(s.took / 1000).toFixed(1)} s; ` +
    `long tasks over 50 ms: ${s.over50}, longest ${fmtMs(s.longest)}, ${fmtMs(s.blocked)} blocked in all`,
);
const b = await scrollStatic(s.frames, 800);
console.log(
  `baseline: a static page scrolled the same ${s.frames} frames: ${(b.took / 1000).toFixed(1)} s; ` +
    `long tasks over 50 ms: ${b.over50}, longest ${fmtMs(b.longest)}, ${fmtMs(b.blocked)} blocked in all`,
);
console.log(`machine: load average ${load()} at the end`);
await browser.close();
if (s.seen < stats.total && !(scrollFrames && s.frames >= scrollFrames)) {
  console.error(`bench.mjs: scrolling stopped after ${s.seen} of ${stats.total} rows`);
  process.exit(1);
}
