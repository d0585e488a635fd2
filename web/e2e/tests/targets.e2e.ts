// The Targets page against the demo list: rows, the Hot filter, sorting by
// revenue, opening a company, and the keyboard.
import { expect, test } from '@playwright/test';

import { Api } from '../support/api';
import { activeRowDomain, columnTexts, openTargets, ordered, parseAmount, targetRows, targetsTable } from '../support/app';

let api: Api;
let stats: { total: number; by_tier: Record<string, number> };
test.beforeAll(async () => {
  api = await Api.open();
  stats = await api.stats();
});
test.afterAll(async () => api.close());

// "2,687" or "2687": the count may be grouped by the locale.
const countPattern = (n: number) => new RegExp(`\\b(${n.toLocaleString('en-US')}|${n})\\s+targets?\\b`);

test('the list shows rows and counts every target', async ({ page }) => {
  await openTargets(page);
  expect(stats.total).toBe(2687);
  await expect(page.getByTestId('target-count')).toHaveText(countPattern(stats.total));
  // A real table: column headers, and body rows that link to their company.
  await expect(targetsTable(page).locator('thead th[scope="col"]').first()).toBeVisible();
  const first = targetRows(page).first();
  const domain = await first.getAttribute('data-domain');
  expect(domain).toBeTruthy();
  await expect(first.getByRole('link').first()).toHaveAttribute('href', `/company/${domain}`);
});

test('the Hot chip shows only hot targets and puts the filter in the URL', async ({ page }) => {
  await openTargets(page);
  const hot = page.getByRole('button', { name: 'Hot', exact: true });
  await expect(hot).toHaveAttribute('aria-pressed', 'false');
  await hot.click();
  await expect(hot).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/[?&]tier=(1|hot)(&|$)/);
  await expect(page.getByTestId('target-count')).toHaveText(countPattern(stats.by_tier['1']));
  const badges = page.getByTestId('score-badge');
  await expect(badges.first()).toBeVisible();
  await expect
    .poll(async () => [...new Set(await badges.evaluateAll((els) => els.map((e) => e.getAttribute('data-tier'))))])
    .toEqual(['hot']);

  // The URL reproduces the view.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Hot', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('target-count')).toHaveText(countPattern(stats.by_tier['1']));
});

test('Export CSV downloads the current view', async ({ page }) => {
  await openTargets(page, '?tier=1');
  await expect(page.getByTestId('target-count')).toHaveText(countPattern(stats.by_tier['1']));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const csv = await download.path().then((p) => import('node:fs/promises').then((fs) => fs.readFile(p, 'utf8')));
  const lines = csv.trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/domain/i);
  // A header and one line per hot target (no field of the demo list spans lines).
  expect(lines.length).toBe(stats.by_tier['1'] + 1);
});

test('sorting by revenue orders the revenue column both ways', async ({ page }) => {
  await openTargets(page);
  const header = targetsTable(page).locator('th', { has: page.getByRole('button', { name: 'Revenue', exact: true }) });
  const button = header.getByRole('button', { name: 'Revenue', exact: true });
  await expect(header).toHaveAttribute('aria-sort', 'none');
  // Rendered revenues: more than a handful of figures, in the given order.
  const revenueOrdered = async (order: 'ascending' | 'descending') => {
    const values = (await columnTexts(page, 'Revenue')).map(parseAmount);
    return values.filter((v) => v !== null).length > 5 && ordered(values, order);
  };

  await button.click();
  await expect(page).toHaveURL(/[?&]sort=revenue(&|$)/);
  await expect(header).toHaveAttribute('aria-sort', /^(ascending|descending)$/);
  const first = (await header.getAttribute('aria-sort')) as 'ascending' | 'descending';
  await expect(page).toHaveURL(new RegExp(`[?&]order=${first === 'ascending' ? 'asc' : 'desc'}(&|$)`));
  // Wait for rows of the new order (not the loading skeleton), then read them as rendered.
  await expect.poll(() => revenueOrdered(first)).toBe(true);
  const values = (await columnTexts(page, 'Revenue')).map(parseAmount).filter((v) => v !== null);
  expect(new Set(values).size).toBeGreaterThan(1);

  await button.click();
  const second = first === 'ascending' ? 'descending' : 'ascending';
  await expect(header).toHaveAttribute('aria-sort', second);
  await expect(page).toHaveURL(new RegExp(`[?&]order=${second === 'ascending' ? 'asc' : 'desc'}(&|$)`));
  await expect.poll(() => revenueOrdered(second)).toBe(true);

  // The descending view starts with the API's largest revenue.
  const [top] = await api.targets('sort=revenue&order=desc&per_page=1');
  const rows = targetRows(page);
  if (second === 'descending') {
    await expect(rows.first()).toHaveAttribute('data-domain', top.domain);
  } else {
    await button.click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    await expect(rows.first()).toHaveAttribute('data-domain', top.domain);
  }
});

test('a company link opens the company page', async ({ page }) => {
  await openTargets(page);
  const row = targetRows(page).first();
  const domain = (await row.getAttribute('data-domain'))!;
  const { company_name } = await api.company(domain);
  await row.getByRole('link', { name: company_name }).click();
  await expect(page).toHaveURL(`/company/${domain}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(company_name);
});

test('keyboard: / focuses search, j/k and arrows move the active row, Enter opens it', async ({ page }) => {
  await openTargets(page);
  const search = page.getByRole('searchbox', { name: 'Search targets' });
  await expect(search).not.toBeFocused();
  await page.keyboard.press('/');
  await expect(search).toBeFocused();
  await expect(search).toHaveValue('');

  // Leave the search box as a user would: click outside any control.
  await page.getByRole('heading', { level: 1 }).click();
  await expect(search).not.toBeFocused();

  const rows = targetRows(page);
  const domains = await rows.evaluateAll((els) => els.slice(0, 3).map((e) => e.getAttribute('data-domain')));
  await page.keyboard.press('j');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[0]);
  await page.keyboard.press('j');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[1]);
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[2]);
  await page.keyboard.press('k');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[1]);
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[0]);
  await page.keyboard.press('j');
  await expect.poll(() => activeRowDomain(page)).toBe(domains[1]);

  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`/company/${domains[1]}`);
  const { company_name } = await api.company(domains[1]!);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(company_name);
});

test('search narrows the list and lives in the URL', async ({ page }) => {
  await openTargets(page);
  const search = page.getByRole('searchbox', { name: 'Search targets' });
  await search.fill('northwind-hardware');
  await expect(page).toHaveURL(/[?&]search=northwind-hardware(&|$)/);
  const expected = (await api.targets('search=northwind-hardware&per_page=100')).map((t) => t.domain);
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(10);
  await expect(page.getByTestId('target-count')).toHaveText(countPattern(expected.length));
  await expect
    .poll(async () => (await targetRows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-domain')))).sort())
    .toEqual([...expected].sort());
});
