// The marketplace by clicking, in Chromium, against `pnpm start`'s embedded server (PGlite,
// in-process queue and worker, the built web app): a person buys tokens, generates in a style and
// shares the result; then every page is looked at on a phone and a desktop.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  DESKTOP,
  launchBrowser,
  PHONE,
  seriousViolations,
  signIn,
  type TestBrowser,
} from './support/browser';
import { startEmbeddedServer, type EmbeddedServer } from './support/embedded-server';

let server: EmbeddedServer;
let browser: TestBrowser;
const run = Date.now().toString(36);
const buyer = `buyer_${run}`;
/** Screenshots for CI artifacts and review (git-ignored). */
const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
/** Pages the walk reached, for the page-by-page review. */
const visited = { style: '', generation: '', artist: '', profile: '' };

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
    await signIn(page, server.url, buyer);

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
    visited.style = new URL(page.url()).pathname;
    visited.artist = (await page.getByRole('link', { name: 'Seo-yeon Han' }).getAttribute('href')) ?? '';
    expect(price).toBeGreaterThan(0);
    await expect.poll(() => numberIn(page.getByTestId('balance').textContent())).toBe(before + 100);
    expect(await numberIn(page.getByTestId('balance-after').textContent())).toBe(before + 100 - price);
    // A seeded style has no artworks on file: its cover stands in, loaded, under "Artworks".
    const artwork = page.getByTestId('style-artwork').first();
    await artwork.waitFor({ timeout: 20_000 });
    await expect
      .poll(() => artwork.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);

    // ── Tags that worked with this style are offered; picking one adds it, removing it offers it again.
    await page.getByRole('button', { name: 'Add tag neon', exact: true }).click();
    await page.getByRole('button', { name: 'Remove tag neon', exact: true }).click();
    await page.getByRole('button', { name: 'Add tag neon', exact: true }).waitFor();
    // Published images made with it are shown under the page.
    await page.getByTestId('style-example').first().waitFor({ timeout: 20_000 });

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
    // Present is not loaded: on a busy machine the signed image can still be downloading.
    await expect
      .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
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
    await card.getByRole('button', { name: /^Like\b/ }).click();
    await expect
      .poll(() => card.getByRole('button', { name: /^Unlike\b/ }).textContent())
      .toContain('1 likes');
    await page.reload();
    await expect
      .poll(() => card.getByRole('button', { name: /^Unlike\b/ }).getAttribute('aria-pressed'), {
        timeout: 20_000,
      })
      .toBe('true');

    // ── Detail: a comment, then a reply under it; both there after a reload.
    await card.getByRole('link', { name: /comments/ }).click();
    await page.getByRole('heading', { name: 'Generation' }).waitFor();
    visited.generation = new URL(page.url()).pathname;
    await page.getByLabel('Write a comment').fill('The sunset glows.');
    await page.getByRole('button', { name: 'Post' }).click();
    await page.getByText('The sunset glows.').waitFor({ timeout: 20_000 });
    await page.getByLabel('Write a reply').fill('Thanks, it was quick.');
    await page.getByRole('button', { name: 'Reply' }).click();
    await page.getByText('Thanks, it was quick.').waitFor({ timeout: 20_000 });
    await page.reload();
    const thread = page.getByRole('listitem').filter({ hasText: 'The sunset glows.' });
    await thread.getByText('Thanks, it was quick.').waitFor({ timeout: 20_000 });

    // ── My image's page: it says it is on the public feed, and takes a description that stays.
    await expect.poll(() => page.getByLabel('Show on the public feed').isChecked()).toBe(true);
    await page.getByLabel('Description').fill('A quiet lake at sunset.');
    await page.getByRole('button', { name: 'Save description' }).click();
    await page.getByRole('status').filter({ hasText: 'Description saved.' }).waitFor({ timeout: 20_000 });
    await page.reload();
    await page.getByText('A quiet lake at sunset.', { exact: true }).first().waitFor({ timeout: 20_000 });

    // ── My profile lists the image I published.
    await page.getByRole('link', { name: 'Profile' }).first().click();
    await page.getByRole('heading', { name: buyer, level: 1 }).waitFor({ timeout: 20_000 });
    visited.profile = new URL(page.url()).pathname;
    await page.getByRole('img', { name: 'lake, sunset' }).waitFor({ timeout: 20_000 });

    // ── The marketplace narrowed to artists I follow: empty at first, then the artist I follow.
    await page.getByRole('link', { name: 'Market' }).first().click();
    await page.getByRole('button', { name: 'Artists I follow' }).click();
    await page
      .getByText('None of the artists you follow has a style on sale yet.')
      .waitFor({ timeout: 20_000 });
    await page.goto(`${server.url}${visited.artist}`);
    await page.getByRole('button', { name: /^Follow / }).click();
    await page.getByRole('button', { name: /^Unfollow / }).waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Market' }).first().click();
    await page.getByRole('button', { name: 'Artists I follow' }).click();
    await page
      .getByRole('link', { name: /neon sprites/ })
      .first()
      .waitFor({ timeout: 20_000 });
    for (const card of await page.locator('a[href^="/styles/"]').allTextContents())
      expect(card).toContain('Seo-yeon Han');

    expect(browser.consoleErrors).toEqual([]);
    await context.close();
  });

  it('the maker of an image is told live when another person likes it, comments and follows', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    expect(visited.generation, 'the buyer walk ran first').toBeTruthy();
    const makerContext = await browser.newContext(DESKTOP);
    const maker = await makerContext.newPage();
    await signIn(maker, server.url, buyer);
    const bell = maker.getByRole('link', { name: /^Notifications/ });
    // The count so far (the buyer's finished generation is one) is read once it has loaded: on a
    // busy machine the badge can still be absent, and a count read then is off by what arrives next.
    await expect.poll(() => bell.getAttribute('aria-busy')).toBe('false');
    const unread = async () =>
      Number(
        (await maker.getByTestId('unread-badge').count())
          ? await maker.getByTestId('unread-badge').textContent()
          : 0,
      );
    const before = await unread();

    // Another person, in their own browser context, reacts to the image; the maker's page is not reloaded.
    const fanContext = await browser.newContext();
    const fan = await fanContext.newPage();
    const fanName = `fan_${run}`;
    await signIn(fan, server.url, fanName);
    await fan.goto(`${server.url}${visited.generation}`);
    await fan.getByRole('button', { name: /^Like\b/ }).click();
    await expect.poll(unread, { timeout: 30_000 }).toBe(before + 1);
    await fan.getByLabel('Write a comment').fill('Lovely colours.');
    await fan.getByRole('button', { name: 'Post' }).click();
    await expect.poll(unread, { timeout: 30_000 }).toBe(before + 2);
    await fan.getByRole('button', { name: `Follow ${buyer}` }).click();
    // At least the three; the list below must name each one.
    await expect.poll(unread, { timeout: 30_000 }).toBeGreaterThanOrEqual(before + 3);
    // The maker's profile knows the fan follows them, after a reload too.
    await fan.goto(`${server.url}${visited.profile}`);
    await fan.getByRole('button', { name: `Unfollow ${buyer}` }).waitFor({ timeout: 20_000 });

    // The list names who did what; marking all read clears the badge.
    await bell.click();
    for (const text of [
      `${fanName} liked your image`,
      `${fanName} commented on your image`,
      `${fanName} started following you`,
    ])
      await maker.getByText(text).waitFor({ timeout: 20_000 });
    // The like and the comment show the image they are about; the follow shows none.
    for (const text of [`${fanName} liked your image`, `${fanName} commented on your image`]) {
      const thumbnail = maker
        .getByTestId('notification')
        .filter({ hasText: text })
        .getByTestId('notification-thumbnail');
      await expect
        .poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), {
          timeout: 20_000,
        })
        .toBe(true);
    }
    expect(
      await maker
        .getByTestId('notification')
        .filter({ hasText: `${fanName} started following you` })
        .getByTestId('notification-thumbnail')
        .count(),
    ).toBe(0);
    await maker.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(unread, { timeout: 20_000 }).toBe(0);
    await fanContext.close();
    await makerContext.close();
  });

  it(
    'every page, on a phone and a desktop: drawn, no serious or critical axe violations, no console errors',
    { timeout: 480_000 },
    async () => {
      onTestFailed(() => console.error(server.logTail(60)));
      expect(visited.style && visited.generation && visited.profile, 'the buyer walk ran first').toBeTruthy();
      mkdirSync(SCREENSHOTS, { recursive: true });
      // `asArtist`: signed in as the demo artist who owns the style (the studio and the owner's view).
      const pages: Array<{
        name: string;
        path: string;
        heading: string | RegExp;
        signedIn: boolean;
        asArtist?: boolean;
      }> = [
        { name: 'feed', path: '/', heading: 'Feed', signedIn: false },
        { name: 'sign-in', path: '/sign-in', heading: 'Sign in to Style License', signedIn: false },
        { name: 'market', path: '/market', heading: 'Marketplace', signedIn: false },
        { name: 'search', path: '/market?q=neon', heading: 'Marketplace', signedIn: false },
        { name: 'style', path: visited.style, heading: 'neon sprites', signedIn: true },
        { name: 'generation', path: visited.generation, heading: 'Generation', signedIn: false },
        { name: 'history', path: '/history', heading: 'My generations', signedIn: true },
        { name: 'tokens', path: '/tokens', heading: 'Tokens', signedIn: true },
        { name: 'notifications', path: '/notifications', heading: 'Notifications', signedIn: true },
        { name: 'profile', path: visited.profile, heading: buyer, signedIn: true },
        { name: 'artist', path: visited.artist, heading: 'seo_pixel', signedIn: false },
        { name: 'artist-own', path: visited.artist, heading: 'seo_pixel', signedIn: true, asArtist: true },
        { name: 'new-style', path: '/studio/new', heading: 'New style', signedIn: true, asArtist: true },
        { name: 'style-owner', path: visited.style, heading: 'neon sprites', signedIn: true, asArtist: true },
        { name: 'verify', path: '/verify', heading: 'Verify an image', signedIn: false },
        { name: 'not-found', path: '/no-such-page', heading: 'Page not found', signedIn: false },
      ];
      const findings: string[] = [];
      for (const [viewportName, viewport] of [
        ['phone', PHONE],
        ['desktop', DESKTOP],
      ] as const) {
        const anonymous = await browser.newContext(viewport);
        const member = await browser.newContext(viewport);
        const artist = await browser.newContext(viewport);
        await signIn(await member.newPage(), server.url, buyer);
        await signIn(await artist.newPage(), server.url, 'seo_pixel');
        for (const target of pages) {
          const page = await (target.asArtist ? artist : target.signedIn ? member : anonymous).newPage();
          await page.goto(`${server.url}${target.path}`);
          await page.getByRole('heading', { name: target.heading, level: 1 }).waitFor({ timeout: 30_000 });
          // What the page shows once its reads are answered (search results, not "Loading…"), so the
          // screenshot and the accessibility scan see it.
          await page.waitForFunction(
            () => ![...document.querySelectorAll('p')].some((p) => p.textContent === 'Loading…'),
            null,
            { timeout: 30_000 },
          );
          // Not 'networkidle': a signed-in page keeps its notification stream open. Lazy images
          // below the fold load only when scrolled to.
          await page.waitForFunction(
            () => [...document.images].every((image) => image.complete || image.loading === 'lazy'),
            null,
            { timeout: 30_000 },
          );
          await page.screenshot({
            path: `${SCREENSHOTS}${target.name}-${viewportName}.png`,
            fullPage: false,
          });
          for (const violation of await seriousViolations(page))
            findings.push(
              `${target.name} (${viewportName}): ${violation.id} [${violation.impact}] ${violation.help} ×${violation.nodes}`,
            );
          await page.close();
        }
        await anonymous.close();
        await member.close();
        await artist.close();
      }
      expect(findings).toEqual([]);
      expect(browser.consoleErrors).toEqual([]);
    },
  );
});
