// A person buys tokens, generates in a style and shares the result — only by clicking, in Chromium,
// against `pnpm start`'s embedded server (PGlite, in-process queue and worker, the built web app).
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
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

const numberIn = async (text: Promise<string | null>) => Number((await text)?.replace(/[^\d-]/g, ''));

describe('buyer walk', () => {
  it('signs in, buys tokens, generates with the price shown first, shares, likes, comments and replies', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.url, `buyer_${run}`);

    // ── Tokens: the welcome bonus, then 100 more through the sandbox checkout.
    await page.getByRole('link', { name: 'Tokens' }).first().click();
    const balance = page.getByTestId('token-balance');
    await expect.poll(() => balance.textContent(), { timeout: 20_000 }).toMatch(/^\d+$/);
    const before = await numberIn(balance.textContent());
    await page.getByRole('button', { name: /Buy 100 tokens/ }).click();
    await page.getByRole('heading', { name: 'Sandbox checkout' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await page.getByText('Payment received').waitFor({ timeout: 20_000 });
    await expect.poll(() => numberIn(balance.textContent()), { timeout: 20_000 }).toBe(before + 100);
    await expect.poll(() => page.getByTestId('transaction').first().textContent()).toContain('Purchase');

    // ── The marketplace: open a trained style; price and balance-after are on screen before any click.
    await page.getByRole('link', { name: 'Market' }).first().click();
    await page
      .getByRole('link', { name: /neon sprites/ })
      .first()
      .click();
    const price = await numberIn(page.getByTestId('price').textContent());
    expect(price).toBeGreaterThan(0);
    await expect.poll(() => numberIn(page.getByTestId('balance').textContent())).toBe(before + 100);
    expect(await numberIn(page.getByTestId('balance-after').textContent())).toBe(before + 100 - price);

    // ── Generate: tags, aspect ratio, the button names the price; progress live to the signed image.
    await page.getByLabel('Prompt tags').fill('lake');
    await page.getByLabel('Prompt tags').press('Enter');
    await page.getByLabel('Prompt tags').fill('sunset');
    await page.getByLabel('Prompt tags').press('Enter');
    await page.getByLabel('1:2').check();
    await page.getByRole('button', { name: `Generate for ${price} tokens` }).click();
    const status = page.getByTestId('generation-status');
    await status.waitFor({ timeout: 20_000 });
    await expect
      .poll(() => status.getAttribute('data-status'), { timeout: 180_000, interval: 500 })
      .toBe('completed');
    const image = page.getByRole('img', { name: 'lake, sunset' });
    await image.waitFor({ timeout: 20_000 });
    expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await expect.poll(() => numberIn(page.getByTestId('balance').textContent())).toBe(before + 100 - price);

    // ── History shows it completed; the owner puts it on the public feed.
    await page.getByRole('link', { name: 'History' }).first().click();
    const item = page.getByTestId('history-item').first();
    await expect
      .poll(() => item.getByTestId('generation-status').getAttribute('data-status'))
      .toBe('completed');
    await item.getByLabel('Show on the public feed').check();
    await expect.poll(() => item.getByLabel('Show on the public feed').isChecked()).toBe(true);

    // ── The feed: the image is there; liking it changes the count in place and sticks.
    await page.getByRole('link', { name: 'Feed' }).first().click();
    const card = page.getByRole('article').filter({ has: page.getByRole('img', { name: 'lake, sunset' }) });
    await card.waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'Like' }).click();
    await expect.poll(() => card.getByRole('button', { name: 'Unlike' }).textContent()).toContain('1 likes');
    await page.reload();
    await expect
      .poll(() => card.getByRole('button', { name: 'Unlike' }).getAttribute('aria-pressed'), {
        timeout: 20_000,
      })
      .toBe('true');

    // ── Detail: a comment, then a reply under it; both there after a reload.
    await card.getByRole('link', { name: /comments/ }).click();
    await page.getByLabel('Write a comment').fill('The sunset glows.');
    await page.getByRole('button', { name: 'Post' }).click();
    await page.getByText('The sunset glows.').waitFor({ timeout: 20_000 });
    await page.getByLabel('Write a reply').fill('Thanks, it was quick.');
    await page.getByRole('button', { name: 'Reply' }).click();
    await page.getByText('Thanks, it was quick.').waitFor({ timeout: 20_000 });
    await page.reload();
    const thread = page.getByRole('listitem').filter({ hasText: 'The sunset glows.' });
    await thread.getByText('Thanks, it was quick.').waitFor({ timeout: 20_000 });

    expect(browser.consoleErrors).toEqual([]);
    await context.close();
  });
});
