import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, type TempDir } from '@stylelicense/test-kit';

const API_DIR = fileURLToPath(new URL('../../../api', import.meta.url));
const WEB_DIST_DIR = fileURLToPath(new URL('../../dist', import.meta.url));

export interface EmbeddedServer {
  url: string;
  logTail: (lines?: number) => string;
  stop: () => Promise<void>;
}

/**
 * `pnpm start`'s process — PGlite, migrations, demo data, in-process queue and workers, and the
 * built web app — on a free port with a fresh DATA_DIR. Resolves once /api/ready says ready.
 * `env` adds settings a walk needs (e.g. `TRAINER_ENGINE: 'none'`).
 */
export async function startEmbeddedServer(env: Record<string, string> = {}): Promise<EmbeddedServer> {
  const port = await freePort();
  const dataDir: TempDir = await makeTempDir('web-e2e');
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(dataDir.path, 'server.log');
  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/embedded/main.ts'], {
    cwd: API_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      WEB_ORIGIN: url,
      DATA_DIR: dataDir.path,
      WEB_DIST_DIR,
      LOG_LEVEL: 'warn',
      // Walks sign in several people and generate more than a person would in a minute.
      RATE_LIMIT_GENERATION: '1000/60',
      RATE_LIMIT_SIGN_IN: '1000/60',
      RATE_LIMIT_USER: '100000/60',
      RATE_LIMIT_ANONYMOUS: '100000/60',
      ...env,
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  // An object, not a `let`: TypeScript cannot see the exit handler's write from the loop below.
  const state: { exited: string | null } = { exited: null };
  child.once('exit', (code, signal) => (state.exited = signal ?? `code ${code}`));
  const logTail = (lines = 40) =>
    readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  const stop = async () => {
    if (state.exited === null && child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(-child.pid, 'SIGTERM');
      const killer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await gone;
      clearTimeout(killer);
    }
    await dataDir.remove();
  };
  const deadline = Date.now() + 170_000;
  for (;;) {
    if (state.exited !== null) {
      const tail = logTail();
      await dataDir.remove();
      throw new Error(`embedded server exited (${state.exited}) before it was ready:\n${tail}`);
    }
    const ready = await fetch(`${url}/api/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready && (await demoImagesWritten(url))) return { url, logTail, stop };
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`embedded server not ready after 170 s:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * /api/ready answers as soon as the API listens, while the process is still writing the demo's
 * files (the signed results last): every public demo image must load before a page shows one.
 */
async function demoImagesWritten(url: string): Promise<boolean> {
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 100 } }));
  const feed = await fetch(`${url}/trpc/generations.feed?input=${input}`).catch(() => null);
  if (!feed?.ok) return false;
  const body = (await feed.json()) as {
    result?: { data?: { json?: { items?: Array<{ resultUrl: string | null }> } } };
  };
  const images = (body.result?.data?.json?.items ?? []).flatMap((item) => item.resultUrl ?? []);
  for (const image of images) {
    const response = await fetch(new URL(image, url));
    await response.arrayBuffer();
    if (!response.ok) return false;
  }
  return images.length > 0;
}
