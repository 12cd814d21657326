// The embedded default as a user starts it (`pnpm start`): the real process, PGlite behind its socket
// server, the in-process queue and workers, the real HTTP server; its output kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir } from '@stylelicense/test-kit';

const API_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface EmbeddedServer {
  url: string;
  port: number;
  /** Everything the process wrote so far (JSON log lines and the banner). */
  output(): Promise<string>;
  stop(): Promise<void>;
}

/** Only what a shell would hand down: nothing of vitest's environment leaks into the product. */
function shellEnvironment(): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

export async function startEmbeddedServer(env: Record<string, string> = {}): Promise<EmbeddedServer> {
  const dataDir = await makeTempDir('embedded-server');
  const port = await freePort();
  const logPath = join(dataDir.path, 'server.log');
  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/embedded/main.ts'], {
    cwd: API_ROOT,
    env: { ...shellEnvironment(), DATA_DIR: dataDir.path, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exit = null as string | null; // set by the exit listener
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    }),
  );
  const output = () => readFile(logPath, 'utf8');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exit === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await dataDir.remove();
  };
  // First start migrates, seeds, writes demo assets and builds the synthetic model: minutes on a busy machine.
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (exit !== null) {
      const tail = (await output()).split('\n').slice(-30).join('\n');
      await stop();
      throw new Error(`the embedded server exited (${exit}) before it was ready:\n${tail}`);
    }
    const ready = await fetch(`${url}/api/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready && (await output()).includes('embedded database ready')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the embedded server was not ready within 240 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { url, port, output, stop };
}
