// Feed first contentful paint and a style page's data-on-screen time in headless Chromium against
// the embedded server with its demo data, each on a cold cache (a fresh browser context), read from
// the browser's performance API. Baseline in the same run: the first contentful paint of the
// server's plainest answer (/api/health, drawn by the browser as text: no script, no data).
import { launchBrowser } from '../test/support/browser';
import { startEmbeddedServer } from '../test/support/embedded-server';

const ROUNDS = 5;
const FEED_FCP_TARGET_MS = 800;
const STYLE_DATA_TARGET_MS = 1000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const browser = await launchBrowser();
const server = await startEmbeddedServer();
try {
  const styleId = await fetch(`${server.url}/trpc/styles.list?input=${encodeURIComponent('{"json":{}}')}`)
    .then((res) => res.json() as Promise<{ result: { data: { json: { items: Array<{ id: string }> } } } }>)
    .then((body) => body.result.data.json.items[0]!.id);

  /** A fresh context per visit: nothing cached, no connection reused. */
  const visit = async (path: string, ready: (page: import('playwright-core').Page) => Promise<number>) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}${path}`);
    const ms = await ready(page);
    await context.close();
    return ms;
  };
  const firstContentfulPaint = (page: import('playwright-core').Page) =>
    page
      .waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime, null, {
        polling: 50,
      })
      .then((handle) => handle.jsonValue() as Promise<number>);
  // The heading is drawn from the styles.byId answer (a spinner before): the data is on screen.
  const styleDataOnScreen = (page: import('playwright-core').Page) =>
    page
      .waitForFunction(() => (document.querySelector('main h1')?.textContent ? performance.now() : 0), null, {
        polling: 'raf',
      })
      .then((handle) => handle.jsonValue());

  // One warm-up visit each: the server's first queries compile and fill its caches.
  await visit('/', firstContentfulPaint);
  await visit(`/styles/${styleId}`, styleDataOnScreen);

  const plain: number[] = [];
  const feed: number[] = [];
  const style: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await visit('/api/health', firstContentfulPaint));
    feed.push(await visit('/', firstContentfulPaint));
    style.push(await visit(`/styles/${styleId}`, styleDataOnScreen));
  }
  const base = median(plain);
  console.log(`plain /api/health FCP (baseline): median ${base.toFixed(0)} ms of ${ROUNDS}`);
  console.log(
    `feed first contentful paint: median ${median(feed).toFixed(0)} ms (target < ${FEED_FCP_TARGET_MS} ms), ` +
      `${(median(feed) / base).toFixed(2)}× the baseline; all: ${feed.map((v) => v.toFixed(0)).join(', ')}`,
  );
  console.log(
    `style page data on screen: median ${median(style).toFixed(0)} ms (target < ${STYLE_DATA_TARGET_MS} ms), ` +
      `${(median(style) / base).toFixed(2)}× the baseline; all: ${style.map((v) => v.toFixed(0)).join(', ')}`,
  );
} finally {
  await browser.close();
  await server.stop();
}
