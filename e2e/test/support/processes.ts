// The apps as real child processes: `node --import tsx <app>/src/main.ts`, each in its own process
// group (so a whole tree is stopped at once), output collected in a log file per process.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AppProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** Set once the process exited: `code 1` or `signal SIGKILL`. */
  exit: string | null;
  /** The last lines of its output. */
  tail(lines?: number): string;
}

// Children live in their own process groups, so they would outlive a test process that dies before
// its afterAll (an interrupted run): on exit, whatever is still running is killed with its group.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** What every child inherits from this process: enough to find node and a home, nothing of vitest's. */
function baseEnvironment(): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Starts `apps/<app>/src/main.ts` with `env` (on top of PATH/HOME), output to `<logDir>/<name>.log`. */
export function startApp(name: string, app: string, env: Record<string, string>, logDir: string): AppProcess {
  const logPath = join(logDir, `${name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'apps', app),
    env: { ...baseEnvironment(), ...env },
    stdio: ['ignore', log, log],
    detached: true, // its own process group: stop() signals every process it started
  });
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const started: AppProcess = {
    name,
    child,
    logPath,
    exit: null,
    tail: (lines = 40) => tailOf(logPath, lines),
  };
  child.once('exit', (code, signal) => {
    started.exit = signal ? `signal ${signal}` : `code ${code}`;
  });
  return started;
}

function tailOf(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no output: ${(error as Error).message})`;
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader has exited. */
export async function stopApp(app: AppProcess, graceMs = 5_000): Promise<void> {
  const pid = app.child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const exited =
    app.exit !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signalGroup('SIGKILL'); // anything the leader left behind (a trainer, a worker thread's helper)
}

/** Every process's state and last lines, for a failure message. */
export function describeApps(apps: readonly AppProcess[], lines = 30): string {
  return apps
    .map(
      (app) =>
        `──── ${app.name} (${app.exit ? `exited: ${app.exit}` : 'running'}; ${app.logPath}) ────\n${app.tail(lines)}`,
    )
    .join('\n');
}
