// Playwright runs the end-to-end suite with Debian's Chromium through
// playwright-core: no browser is downloaded. scripts/e2e.sh starts the
// service and sets E2E_BASE_URL, E2E_API_KEY and E2E_ARTIFACTS.
import { defineConfig } from '@playwright/test';

import { chromiumArgs, chromiumPath, env, seededStorage } from './support/env';

export default defineConfig({
  testDir: './tests',
  // *.e2e.ts, so the unit-test runner's *.test / *.spec patterns never pick these up.
  testMatch: '**/*.e2e.ts',
  outputDir: `${env.artifacts}/results`,
  // Two workers (E2E_WORKERS): the tests spend most of their time waiting
  // for the service, and one file's tests run in order in one worker. Tests
  // that share data only read it, or enrich the same target, which is safe
  // in any order.
  workers: Number(process.env.E2E_WORKERS || 2),
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { outputFolder: `${env.artifacts}/report`, open: 'never' }]],
  use: {
    baseURL: env.baseURL,
    storageState: seededStorage(),
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    // Traces cost every test time; E2E_TRACE=1 keeps them for failures.
    trace: process.env.E2E_TRACE === '1' ? 'retain-on-failure' : 'off',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
  },
});
