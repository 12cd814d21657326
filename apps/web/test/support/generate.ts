import type { Page } from 'playwright-core';

export interface MadeGeneration {
  /** The generation's page, `/g/<id>`. */
  path: string;
  /** The signed result as the browser loads it (a presigned URL). */
  imageUrl: string;
}

/**
 * Generates in a demo style through its page as a person would (signed in, enough tokens), and
 * resolves once the signed image is shown; a failed generation fails the caller.
 */
export async function generateInStyle(
  page: Page,
  baseUrl: string,
  { style, tags }: { style: string; tags: string[] },
): Promise<MadeGeneration> {
  await page.goto(`${baseUrl}/market`);
  await page
    .getByRole('link', { name: new RegExp(style) })
    .first()
    .click();
  const tagInput = page.getByLabel('Prompt tags');
  for (const tag of tags) {
    await tagInput.fill(tag);
    await tagInput.press('Enter');
  }
  await page.getByRole('button', { name: /^Generate for \d+ tokens$/ }).click();
  const finished = page.locator(
    '[data-testid="generation-status"][data-status="completed"], [data-testid="generation-status"][data-status="failed"]',
  );
  await finished.waitFor({ timeout: 180_000 });
  const status = await finished.getAttribute('data-status');
  if (status !== 'completed') throw new Error(`the generation ${status}: ${await finished.textContent()}`);
  const image = page.getByRole('img', { name: tags.join(', ') });
  await image.waitFor({ timeout: 20_000 });
  const link = page.getByRole('link').filter({ has: image });
  const path = await link.getAttribute('href');
  if (!path?.startsWith('/g/')) throw new Error(`the result links to ${path}, not a generation page`);
  return { path, imageUrl: await image.evaluate((img: HTMLImageElement) => img.src) };
}
