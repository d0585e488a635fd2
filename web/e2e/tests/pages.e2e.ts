// Every page in light and dark: no serious or critical axe-core violations,
// and a screenshot (into the run's scratch folder; with UPDATE_SCREENSHOTS=1
// also into docs/screenshots/ for the README). Tagged @pages so
// `make screenshots` runs only these.
import { mkdir, copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { expect, test, type Page } from '@playwright/test';

import { Api } from '../support/api';
import { settled, targetRows } from '../support/app';
import { describeViolations, seriousViolations } from '../support/axe';
import { env, seededStorage, type Theme } from '../support/env';

const docsDir = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const scratchDir = `${env.artifacts}/screenshots`;

// The company of the company pages: the demo's banner target, enriched
// before the pages are shown (its job also fills the Jobs page), so the
// screenshots show fresh figures and the same company on every run.
const companyDomain = 'northwind-hardware.com';
let company: { domain: string; name: string };

test.beforeAll(async () => {
  const api = await Api.open();
  try {
    await api.enrich(companyDomain);
    company = { domain: companyDomain, name: (await api.company(companyDomain)).company_name };
  } finally {
    await api.close();
  }
});

type PageCase = {
  name: string;
  path: () => string;
  ready: (page: Page) => Promise<void>;
  width?: number;
};

const pages: PageCase[] = [
  {
    name: 'targets',
    path: () => '/',
    ready: async (page) => {
      await expect(targetRows(page).first()).toBeVisible();
    },
  },
  {
    name: 'targets-768',
    path: () => '/',
    width: 768,
    ready: async (page) => {
      await expect(targetRows(page).first()).toBeVisible();
    },
  },
  {
    name: 'company',
    path: () => `/company/${company.domain}`,
    ready: async (page) => {
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(company.name);
    },
  },
  {
    name: 'company-history',
    path: () => `/company/${company.domain}?tab=history`,
    ready: async (page) => {
      await expect(page.getByRole('list', { name: 'History' }).getByTestId('history-event').first()).toBeVisible();
    },
  },
  {
    name: 'jobs',
    path: () => '/jobs',
    ready: async (page) => {
      const table = page.getByRole('table', { name: 'Jobs' });
      await expect(table.getByRole('link', { name: company.domain }).first()).toBeVisible();
    },
  },
  {
    name: 'settings',
    path: () => '/settings',
    ready: async (page) => {
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
    },
  },
];

for (const theme of ['light', 'dark'] as Theme[]) {
  test.describe(`${theme} theme`, () => {
    // bypassCSP: the service's Content-Security-Policy (script-src 'self')
    // would refuse the injected axe-core script.
    test.use({ colorScheme: theme, storageState: seededStorage({ theme }), bypassCSP: true });

    for (const p of pages) {
      test(`${p.name} (${theme}) has no serious accessibility violations @pages`, async ({ page }) => {
        if (p.width) await page.setViewportSize({ width: p.width, height: 800 });
        await page.goto(p.path());
        await p.ready(page);
        await settled(page);
        if (theme === 'dark') await expect(page.locator('html')).toHaveClass(/(^|\s)dark(\s|$)/);
        else await expect(page.locator('html')).not.toHaveClass(/(^|\s)dark(\s|$)/);
        await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
        await expect(page.locator('h1')).toHaveCount(1);

        // Fonts and transitions settle before the picture is taken.
        await page.evaluate(() => document.fonts.ready);
        const file = `${p.name}-${theme}.png`;
        await mkdir(scratchDir, { recursive: true });
        await page.screenshot({ path: `${scratchDir}/${file}`, animations: 'disabled', caret: 'hide' });
        if (env.updateScreenshots) {
          await mkdir(docsDir, { recursive: true });
          await copyFile(`${scratchDir}/${file}`, `${docsDir}/${file}`);
        }

        const violations = await seriousViolations(page);
        expect(violations.map((v) => v.id), `serious or critical axe violations on ${p.name} (${theme}):\n${describeViolations(violations)}`).toEqual([]);
      });
    }
  });
}
