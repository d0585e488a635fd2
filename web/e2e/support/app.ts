// Page helpers that speak the dashboard's contract: roles, names and the few
// data-testid hooks it lists.
import { expect, type Locator, type Page } from '@playwright/test';

export function targetsTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Targets' });
}

export function targetRows(page: Page): Locator {
  return page.getByTestId('target-row');
}

// settled waits for the page's heading and for every loading region to finish.
export async function settled(page: Page): Promise<void> {
  await expect(page.locator('h1')).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}

// openTargets loads the Targets page (with an optional query) and waits for rows.
export async function openTargets(page: Page, query = ''): Promise<void> {
  await page.goto(`/${query}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Targets' })).toBeVisible();
  await expect(targetRows(page).first()).toBeVisible();
}

// columnTexts reads the rendered cells of the column whose header is named label.
export async function columnTexts(page: Page, label: string): Promise<string[]> {
  const headers = targetsTable(page).locator('thead th');
  const names = await headers.allTextContents();
  const index = names.findIndex((n) => n.trim().toLowerCase().startsWith(label.toLowerCase()));
  if (index < 0) throw new Error(`no column "${label}" among ${JSON.stringify(names)}`);
  return targetRows(page).evaluateAll(
    (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i]?.textContent?.trim() ?? ''),
    index,
  );
}

// parseAmount reads a figure as the page shows it: "$13.2B", "1,200,422",
// "4.5M", "€12K"; a dash or an empty cell is null.
export function parseAmount(text: string): number | null {
  const t = text.replace(/[\s,]/g, '');
  const m = t.match(/(-?\d+(?:\.\d+)?)([KMBT])?/i);
  if (!m) return null;
  const scale: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? scale[m[2].toUpperCase()] : 1);
}

// ordered says whether values (nulls left out) never go against the order.
export function ordered(values: (number | null)[], order: 'ascending' | 'descending'): boolean {
  const v = values.filter((x): x is number => x !== null);
  for (let i = 1; i < v.length; i++) {
    if (order === 'ascending' ? v[i] < v[i - 1] : v[i] > v[i - 1]) return false;
  }
  return true;
}

// activeRowDomain is the domain of the row marked aria-selected="true", if any.
export async function activeRowDomain(page: Page): Promise<string | null> {
  const active = page.locator('[data-testid="target-row"][aria-selected="true"]');
  if ((await active.count()) !== 1) return null;
  return active.getAttribute('data-domain');
}
