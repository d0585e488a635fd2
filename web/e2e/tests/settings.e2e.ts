// The API key in the browser: a bad key, no key, and a key handed over in the
// URL fragment.
import { expect, test } from '@playwright/test';

import { openTargets, targetRows } from '../support/app';
import { env, seededStorage } from '../support/env';

test('a bad key saved in Settings lands back on Settings with an alert after the next API call', async ({ page }) => {
  await openTargets(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL('/settings');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');

  const input = page.getByRole('textbox', { name: 'API key', exact: true });
  await expect(input).toHaveAttribute('type', 'password');
  await input.fill('pf_live_this-key-was-never-issued-0000000000000');
  await page.getByRole('button', { name: 'Save key' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Key saved' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('pf.apiKey'))).toBe('pf_live_this-key-was-never-issued-0000000000000');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Targets' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'API key' });
  await expect(alert).toBeVisible();
  await expect(page).toHaveURL('/settings');
  await expect(alert).toContainText(/unknown|revoked|invalid|not valid/i);
});

test.describe('without a key', () => {
  test.use({ storageState: seededStorage({ key: null }) });

  test('the first API call sends the user to Settings saying the key is missing', async ({ page }) => {
    await page.goto('/');
    const alert = page.getByRole('alert').filter({ hasText: 'API key' });
    await expect(alert).toBeVisible();
    await expect(page).toHaveURL('/settings');
    await expect(alert).toContainText(/missing|no API key|enter|needs/i);
  });

  test('a key in the URL fragment is kept and removed from the address bar', async ({ page }) => {
    await page.goto(`/#key=${encodeURIComponent(env.apiKey)}`);
    await expect(targetRows(page).first()).toBeVisible();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('');
    expect(page.url()).not.toContain(env.apiKey);
    expect(await page.evaluate(() => localStorage.getItem('pf.apiKey'))).toBe(env.apiKey);
  });
});

test('Forget key removes the key from the browser', async ({ page }) => {
  await page.goto('/settings');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
  await page.getByRole('button', { name: 'Forget key' }).click();
  await expect.poll(() => page.evaluate(() => localStorage.getItem('pf.apiKey'))).toBeNull();
});
