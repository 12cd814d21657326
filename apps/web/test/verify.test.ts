// The verify page against the embedded server: a real signed result, downloaded as anyone would,
// is "verified" with its style and artist; the same image with changed pixels, or re-encoded, is
// never verified; a file that is not an image is refused in plain words.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from './support/browser';
import { startEmbeddedServer, type EmbeddedServer } from './support/embedded-server';
import { generateInStyle } from './support/generate';
import { withOnePixelChanged } from './support/png';

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

const verdict = (page: Page) => page.getByTestId('verify-verdict');

/** Picks the file through the page's file input, as a person clicking "Choose an image" does. */
async function pick(page: Page, name: string, buffer: Buffer, mimeType = 'image/png') {
  await page.getByLabel(/Choose an image/).setInputFiles({ name, mimeType, buffer });
}

/** Drops the file on the drop zone, as a person dragging it from their desktop does. */
async function drop(page: Page, name: string, buffer: Buffer) {
  const dataTransfer = await page.evaluateHandle(
    ({ base64, fileName }) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], fileName, { type: 'image/png' }));
      return transfer;
    },
    { base64: buffer.toString('base64'), fileName: name },
  );
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
}

/** The page's verdict for the file just given, once the result names that file. */
async function verdictFor(page: Page, name: string): Promise<string | null> {
  await page.getByText(`Checked: ${name}`).waitFor({ timeout: 30_000 });
  return verdict(page).getAttribute('data-status');
}

describe('verify an image', () => {
  it('a signed result is verified with its style and artist; changed pixels never are', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.url, `maker_${run}`);
    const made = await generateInStyle(page, server.url, { style: 'neon sprites', tags: ['harbor'] });
    const download = await context.request.get(made.imageUrl);
    expect(download.ok()).toBe(true);
    expect(download.headers()['content-type']).toBe('image/png');
    const signed = await download.body();

    // From the generation page, as its link offers.
    await page.goto(`${server.url}${made.path}`);
    await page.getByRole('link', { name: 'Verify an image' }).first().click();
    await page.getByRole('heading', { name: 'Verify an image', level: 1 }).waitFor();

    await pick(page, 'signed.png', signed);
    expect(await verdictFor(page, 'signed.png')).toBe('verified');
    await page.getByRole('heading', { name: 'Signed by Style License and unchanged' }).waitFor();
    expect(await page.getByTestId('claim-style').textContent()).toBe('neon sprites');
    expect(await page.getByTestId('claim-artist').textContent()).toBe('Seo-yeon Han');
    expect(await page.getByTestId('claim-license').textContent()).toMatch(
      /^(Personal|Commercial|Exclusive)$/,
    );
    // The owner may read the generation: a link to it and when it was signed.
    const generationLink = page.getByTestId('claim-generation').getByRole('link');
    await generationLink.waitFor({ timeout: 20_000 });
    expect(await generationLink.getAttribute('href')).toBe(made.path);
    expect(await page.getByTestId('claim-signedAt').textContent()).toMatch(/\d/);

    // One sample changed, manifest kept: ours, but changed.
    await drop(page, 'edited.png', withOnePixelChanged(signed));
    expect(await verdictFor(page, 'edited.png')).toBe('changed');
    await page.getByRole('heading', { name: /pixels were changed/ }).waitFor();

    // Re-encoded by the browser's canvas: the metadata is gone, so it is not ours to vouch for.
    const reencoded = await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      const out = new Uint8Array(await blob.arrayBuffer());
      let binary = '';
      for (const byte of out) binary += String.fromCharCode(byte);
      return btoa(binary);
    }, signed.toString('base64'));
    await pick(page, 'resaved.png', Buffer.from(reencoded, 'base64'));
    const resaved = await verdictFor(page, 'resaved.png');
    expect(['unsigned', 'changed', 'not_ours']).toContain(resaved);

    // Not an image at all: refused before anything is sent, in plain words.
    await pick(page, 'notes.png', Buffer.from('these are notes, not pixels'), 'image/png');
    await page.getByRole('alert').filter({ hasText: 'not an image' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => verdict(page).count()).toBe(0);

    expect(browser.consoleErrors).toEqual([]);
    await context.close();
  });

  it('anyone, signed out, learns the verdict of a result they were sent', async () => {
    onTestFailed(() => console.error(server.logTail(60)));
    const maker = await browser.newContext();
    const makerPage = await maker.newPage();
    await signIn(makerPage, server.url, `sender_${run}`);
    const made = await generateInStyle(makerPage, server.url, { style: 'pixel garden', tags: ['meadow'] });
    const signed = await (await maker.request.get(made.imageUrl)).body();
    await maker.close();

    const anonymous = await browser.newContext();
    const page = await anonymous.newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Verify an image' }).click();
    await pick(page, 'sent.png', signed);
    expect(await verdictFor(page, 'sent.png')).toBe('verified');
    expect(await page.getByTestId('claim-style').textContent()).toBe('pixel garden');
    // A private generation: the manifest names it; the page cannot link it for a stranger.
    await expect.poll(() => page.getByTestId('claim-generation').textContent()).toContain('private');
    await anonymous.close();
  });
});
