// What scripts/e2e.sh hands the suite and the benchmark, read in one place.

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the suite through scripts/e2e.sh (make test), which starts the service`);
  }
  return v;
}

export const env = {
  get baseURL(): string {
    return required('E2E_BASE_URL').replace(/\/$/, '');
  },
  get apiKey(): string {
    return required('E2E_API_KEY');
  },
  artifacts: process.env.E2E_ARTIFACTS || '/tmp/partnerforge-e2e',
  updateScreenshots: process.env.UPDATE_SCREENSHOTS === '1',
};

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Debian's Chromium, headless, with nothing that reaches beyond loopback.
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type Theme = 'light' | 'dark';

// The browser storage a signed-in user has: the API key where the dashboard
// keeps it (localStorage pf.apiKey) and, when given, the theme (pf.theme).
export function seededStorage(opts: { key?: string | null; theme?: Theme } = {}) {
  const localStorage: { name: string; value: string }[] = [];
  const key = opts.key === undefined ? process.env.E2E_API_KEY : opts.key;
  if (key) localStorage.push({ name: 'pf.apiKey', value: key });
  if (opts.theme) localStorage.push({ name: 'pf.theme', value: opts.theme });
  if (!process.env.E2E_BASE_URL) return { cookies: [], origins: [] };
  return { cookies: [], origins: [{ origin: new URL(process.env.E2E_BASE_URL).origin, localStorage }] };
}
