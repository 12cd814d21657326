// A person's own profile against the embedded server: the profile form saves (and refuses a taken
// username at its field), and API keys are made, shown once, work over REST v1 with a bearer
// header, and stop working the moment they are revoked.
import { makePng } from './support/png';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from './support/browser';
import { startEmbeddedServer, type EmbeddedServer } from './support/embedded-server';

let server: EmbeddedServer;
let browser: TestBrowser;
const run = Date.now().toString(36);

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startEmbeddedServer();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function openOwnProfile(page: Page, username: string) {
  await page.getByRole('link', { name: 'Profile' }).first().click();
  await page.getByRole('heading', { name: username, level: 1 }).waitFor({ timeout: 30_000 });
}

/** REST v1 as an integrator's program calls it: no cookie, the key in the Authorization header. */
async function meWithKey(key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('my profile', () => {
  it('saves the bio and a new username for good, and shows a taken username at its field', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    const other = await browser.newContext();
    const taken = `taken_${run}`;
    await signIn(await other.newPage(), server.url, taken);
    await other.close();

    const context = await browser.newContext();
    const page = await context.newPage();
    const original = `owner_${run}`;
    await signIn(page, server.url, original);
    await openOwnProfile(page, original);
    const renamed = `renamed_${run}`;
    await page.getByLabel('Username').fill(renamed);
    await page.getByLabel('Bio').fill('Paints harbours at dawn.');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor({ timeout: 20_000 });
    await page.reload();
    await page.getByRole('heading', { name: renamed, level: 1 }).waitFor({ timeout: 30_000 });
    await page.getByText('Paints harbours at dawn.', { exact: true }).first().waitFor();
    expect(await page.getByLabel('Bio').inputValue()).toBe('Paints harbours at dawn.');

    // A profile picture from a file: saved, and shown as the avatar after a reload.
    await page.getByLabel(/^Choose a picture/).setInputFiles({
      name: 'me.png',
      mimeType: 'image/png',
      buffer: makePng(320, 200, (x) => [x % 256, 90, 160]),
    });
    await page
      .getByRole('status')
      .filter({ hasText: 'Your profile picture is saved.' })
      .waitFor({ timeout: 20_000 });
    await page.reload();
    const avatar = page.locator('header img[src*="/api/avatars/"]');
    await expect
      .poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 256), {
        timeout: 20_000,
      })
      .toBe(true);

    await page.getByLabel('Username').fill(taken);
    await page.getByRole('button', { name: 'Save profile' }).click();
    const refusal = page.locator('#username-error');
    await refusal.waitFor({ timeout: 20_000 });
    expect(await refusal.textContent()).toBe('That username is taken.');
    expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
    await page.reload();
    await page.getByRole('heading', { name: renamed, level: 1 }).waitFor({ timeout: 30_000 });

    // The refusal itself is a 409 the browser logs; nothing else may have failed.
    expect(browser.consoleErrors.filter((line) => !/\b409\b/.test(line))).toEqual([]);
    browser.consoleErrors.length = 0;
    await context.close();
  });
});

describe('API keys on my profile', () => {
  it('a new key is shown once, works with a bearer header, and is refused once revoked', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    const context = await browser.newContext();
    const page = await context.newPage();
    const username = `integrator_${run}`;
    await signIn(page, server.url, username);
    await openOwnProfile(page, username);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByText('No keys yet.').waitFor({ timeout: 20_000 });

    await page.getByLabel('Key name').fill('nightly export');
    expect(await page.getByLabel(/^read/).isChecked()).toBe(true);
    await page.getByLabel('Expires on (optional)').fill('2099-12-31');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor({ timeout: 20_000 });
    const key = (await secret.textContent())!.trim();
    expect(key).toMatch(/^sl_[0-9a-f]{16}_[\w-]{32}$/);
    await page.getByText('this is the only time it is shown').waitFor();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied to the clipboard.').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    const item = page.getByTestId('api-key').filter({ hasText: 'nightly export' });
    await item.waitFor({ timeout: 20_000 });
    // `sl_<prefix>_<secret>`; the secret is base64url and may hold underscores of its own.
    const prefix = key.split('_').slice(0, 2).join('_');
    expect(await item.textContent()).toContain(prefix);
    expect(await item.textContent()).not.toContain(key);
    expect(await item.textContent()).toContain('Not used yet');
    expect(await item.textContent()).toMatch(/2099/);

    const used = await meWithKey(key);
    expect(used.status).toBe(200);
    expect(used.body.username).toBe(username);

    // Dismissed, the secret is gone for good; the list now says when the key was last used.
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await expect.poll(() => secret.count()).toBe(0);
    await page.reload();
    await item.waitFor({ timeout: 30_000 });
    expect(await page.content()).not.toContain(key);
    expect(await item.textContent()).not.toContain('Not used yet');

    await item.getByRole('button', { name: 'Revoke nightly export' }).click();
    await item.getByText('this cannot be undone').waitFor();
    await item.getByRole('button', { name: 'Revoke', exact: true }).click();
    await item.getByText(/^Revoked /).waitFor({ timeout: 20_000 });

    const refused = await meWithKey(key);
    expect(refused.status).toBe(401);
    expect((refused.body.error as { code?: string } | undefined)?.code).toBe('API_KEY_REVOKED');

    expect(browser.consoleErrors).toEqual([]);
    await context.close();
  });
});
