// The artist's walk, in Chromium against `pnpm start`'s embedded server: a new user becomes an
// artist with a signature drawn on the canvas, publishes a style from ten uploaded images (a bad
// file is refused with its reason), watches every upload reach 100 %, and follows training on the
// style's page to its end as this host allows (the embedded ONNX trainer on its tiny model).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, seriousViolations, signIn, type TestBrowser } from './support/browser';
import { startEmbeddedServer, type EmbeddedServer } from './support/embedded-server';
import { makePng } from './support/png';

let server: EmbeddedServer;
let browser: TestBrowser;
const run = Date.now().toString(36);
/** Screenshots for CI artifacts and review (git-ignored). */
const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startEmbeddedServer();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Ten distinct 512×512 pictures: diagonal stripes in a hue of their own. */
function artworks() {
  return Array.from({ length: 10 }, (_, n) => ({
    name: `artwork-${n + 1}.png`,
    mimeType: 'image/png',
    buffer: makePng(512, 512, (x, y) => {
      const band = Math.floor((x + y * (n + 1)) / 32) % 2;
      return band ? [40 + n * 20, 120, 200 - n * 15] : [250, 240 - n * 10, 220];
    }),
  }));
}

/** A signature as a hand would make it: strokes of pointer moves across the pad. */
async function drawSignature(page: Page) {
  const pad = page.getByTestId('signature-pad');
  // Mouse moves land where the pad is on screen: bring it into view first.
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  await page.mouse.move(...at(0.1, 0.6));
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(...at(0.1 + i * 0.035, 0.6 - Math.sin(i / 3) * 0.3));
  await page.mouse.up();
}

/**
 * Records in the page the highest total upload percent shown and each file's highest percent: the
 * page leaves for the style's page as soon as the style is created, so the figures are kept.
 */
async function watchUploadProgress(page: Page) {
  await page.evaluate(() => {
    const seen = { total: 0, files: {} as Record<string, number> };
    (window as unknown as { uploadSeen: typeof seen }).uploadSeen = seen;
    const read = () => {
      const total = document.querySelector('[data-testid="upload-total"]')?.textContent ?? '';
      const percent = Number(/(\d+)%/.exec(total)?.[1] ?? 0);
      seen.total = Math.max(seen.total, percent);
      for (const bar of document.querySelectorAll<HTMLProgressElement>(
        '[data-testid="artwork-file"] progress',
      )) {
        const name = bar.closest('li')?.querySelector('span')?.textContent ?? '';
        seen.files[name] = Math.max(seen.files[name] ?? 0, bar.value);
      }
    };
    new MutationObserver(read).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
}

/** The new-style form's fields, as an artist fills them in. */
async function fillStyleForm(page: Page, styleName: string) {
  await page.getByLabel('Style name').fill(styleName);
  await page.getByLabel('Description').fill('Harbours at dawn in soft stripes.');
  await page.getByLabel('Style tags').fill('harbour');
  await page.getByLabel('Style tags').press('Enter');
  await page.getByLabel('Style tags').fill('dawn');
  await page.getByLabel('Style tags').press('Enter');
  await page.getByLabel('Price per image (tokens)').fill('7');
  await page.getByLabel('Licence').selectOption('commercial');
}

describe('artist walk', () => {
  it('upgrades with a drawn signature, uploads ten artworks, and follows training to its end', async () => {
    onTestFailed(() => console.error(server.logTail(80)));
    const context = await browser.newContext();
    const page = await context.newPage();
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('styles.onProgress')) streams.push(request.url());
    });
    const username = `painter_${run}`;
    await signIn(page, server.url, username);
    await page.getByRole('link', { name: 'Profile' }).first().click();
    await page.getByRole('heading', { name: username, level: 1 }).waitFor({ timeout: 30_000 });

    // ── Upgrade: the button waits for ink; a drawn signature and a name make an artist.
    await page.getByLabel('Artist name').fill(`Harbour Painter ${run}`);
    const become = page.getByRole('button', { name: 'Become an artist' });
    expect(await become.isDisabled()).toBe(true);
    await drawSignature(page);
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await become.isDisabled()).toBe(true);
    await drawSignature(page);
    await become.click();
    await page.getByText(`Artist · Harbour Painter ${run}`).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByRole('heading', { name: 'Become an artist' }).count()).toBe(0);
    // ── The signature can be replaced later from the same profile.
    const replace = page.getByRole('button', { name: 'Replace signature' });
    expect(await replace.isDisabled()).toBe(true);
    await drawSignature(page);
    await replace.click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Your new signature is saved.' })
      .waitFor({ timeout: 20_000 });

    // ── A new style: fields, ten good images and one that only pretends to be a PNG.
    await page.getByRole('link', { name: 'New style' }).click();
    await page.getByRole('heading', { name: 'New style', level: 1 }).waitFor({ timeout: 30_000 });
    const styleName = `harbour dawn ${run}`;
    await fillStyleForm(page, styleName);
    // Ten picked with the file dialog; a text file named like a PNG dropped on the area.
    await page.locator('input[type="file"][multiple]').setInputFiles(artworks());
    const dropped = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['just some notes\n'], 'notes.png', { type: 'image/png' }));
      return transfer;
    });
    await page.getByTestId('artwork-drop').dispatchEvent('drop', { dataTransfer: dropped });
    await expect
      .poll(() => page.getByTestId('artwork-count').textContent(), { timeout: 30_000 })
      .toBe('10 of at most 100 images ready');
    const refused = page.getByTestId('artwork-file').filter({ hasText: 'notes.png' });
    await expect.poll(() => refused.getAttribute('data-state')).toBe('refused');
    expect(await refused.getByRole('alert').textContent()).toBe('Refused: not a JPG or PNG image.');

    // ── Upload: every file and the total reach 100 %, then the style's own page opens.
    await watchUploadProgress(page);
    await page.getByRole('button', { name: 'Upload and start training' }).click();
    await page.waitForURL(/\/styles\/[0-9a-f-]{36}$/, { timeout: 120_000 });
    const seen = await page.evaluate(
      () =>
        (window as unknown as { uploadSeen: { total: number; files: Record<string, number> } }).uploadSeen,
    );
    expect(seen.total).toBe(100);
    expect(Object.keys(seen.files).filter((name) => name !== 'notes.png')).toHaveLength(10);
    for (const [name, percent] of Object.entries(seen.files))
      if (name !== 'notes.png') expect(percent, name).toBe(100);

    // ── Training, live: progress while it runs, then its end.
    await page.getByRole('heading', { name: styleName, level: 1 }).waitFor({ timeout: 30_000 });
    const status = page.getByTestId('training-status');
    const startedAt = Date.now();
    await page.getByTestId('training-progress').waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('training-progress').textContent()).toMatch(/\d+(\.\d)?%/);
    expect(streams.length, 'the page follows training over its SSE stream').toBeGreaterThan(0);
    await expect
      .poll(() => status.getAttribute('data-status'), { timeout: 480_000, interval: 1000 })
      .toMatch(/^(completed|failed)$/);
    console.info(
      `training ended ${await status.getAttribute('data-status')} after ${Date.now() - startedAt} ms`,
    );
    if ((await status.getAttribute('data-status')) === 'failed') {
      // The trainer could not run here: the reason is said plainly, and nothing is editable.
      expect(await page.getByTestId('training-failure').textContent()).toMatch(/^Training failed: .+/);
      expect(await page.getByRole('heading', { name: 'Edit style' }).count()).toBe(0);
    } else {
      // The pictures the trainer drew at each epoch's end, in epoch order, each one loading.
      const samples = page.getByTestId('training-sample');
      await samples.first().waitFor({ timeout: 30_000 });
      const epochs = await samples.allTextContents();
      expect(epochs[0]).toMatch(/^Epoch \d+$/);
      const numbers = epochs.map((text) => Number(text.replace(/\D/g, '')));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      const picture = samples.first().getByRole('img', { name: /^Sample after epoch \d+: / });
      await picture.scrollIntoViewIfNeeded();
      await expect
        .poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), {
          timeout: 20_000,
        })
        .toBe(true);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}style-trained-phone.png`, fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);

      await page.getByRole('heading', { name: 'Edit style' }).waitFor({ timeout: 30_000 });
      await page.getByLabel('Price per image (tokens)').fill('9');
      await page.getByRole('button', { name: 'Save style' }).click();
      await page.getByRole('status').filter({ hasText: 'Style saved.' }).waitFor({ timeout: 20_000 });
      await page.reload();
      await page.getByRole('heading', { name: 'Edit style' }).waitFor({ timeout: 30_000 });
      expect(await page.getByLabel('Price per image (tokens)').inputValue()).toBe('9');
      expect(await page.getByTestId('price').textContent()).toBe('9 tokens');
    }
    // ── My profile lists the style in the state its page ended in.
    const ended =
      (await status.getAttribute('data-status')) === 'completed' ? 'Training completed' : 'Training failed';
    await page.getByRole('link', { name: 'Profile' }).first().click();
    const mine = page.getByTestId('my-style').filter({ hasText: styleName });
    await expect.poll(() => mine.textContent(), { timeout: 30_000 }).toContain(ended);
    expect(browser.consoleErrors).toEqual([]);
    await context.close();
  }, 600_000);
});

describe('a host without a trainer', () => {
  it("the owner's style page says plainly that no trainer engine is configured", async () => {
    const bare = await startEmbeddedServer({ TRAINER_ENGINE: 'none' });
    onTestFailed(() => console.error(bare.logTail(80)));
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      // A demo artist: the upgrade is the other walk's business.
      await signIn(page, bare.url, 'seo_pixel');
      await page.goto(`${bare.url}/studio/new`);
      await page.getByRole('heading', { name: 'New style', level: 1 }).waitFor({ timeout: 30_000 });
      await fillStyleForm(page, `untrained ${run}`);
      await page.locator('input[type="file"][multiple]').setInputFiles(artworks());
      await expect
        .poll(() => page.getByTestId('artwork-count').textContent(), { timeout: 30_000 })
        .toBe('10 of at most 100 images ready');
      await page.getByRole('button', { name: 'Upload and start training' }).click();
      await page.waitForURL(/\/styles\/[0-9a-f-]{36}$/, { timeout: 120_000 });
      const status = page.getByTestId('training-status');
      await expect
        .poll(() => status.getAttribute('data-status'), { timeout: 120_000, interval: 500 })
        .toBe('failed');
      expect(await page.getByTestId('training-failure').textContent()).toBe(
        'Training failed: no trainer engine configured on this host (NO_TRAINER_ENGINE)',
      );
      expect(await page.getByRole('heading', { name: 'Edit style' }).count()).toBe(0);
      expect(browser.consoleErrors).toEqual([]);
      await context.close();
    } finally {
      await bare.stop();
    }
  });
});
