import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { JobFailure } from '@stylelicense/contracts';
import { LineSplitter } from './kohya-progress';

/** One trainer invocation; `env` is the complete environment the process gets. */
export interface TrainerCommand {
  readonly executable: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface RunTrainerOptions {
  readonly timeLimitMs: number;
  /** How long the trainer gets between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
  /** Raw stdout and stderr are appended here. */
  readonly logPath: string;
  readonly signal?: AbortSignal;
  /** Every output line, `\r` redraws included; `pending` is a redraw not yet terminated. */
  readonly onOutput?: (lines: readonly string[], pending: string) => void;
}

export type TrainerOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number | null; readonly exitSignal: NodeJS.Signals | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'cancelled'; readonly reason: unknown };

export interface TrainerRun {
  readonly outcome: TrainerOutcome;
  readonly durationMs: number;
  /** The last lines of output (progress redraws excluded), for failure messages. */
  readonly tail: readonly string[];
}

const TAIL_LINES = 40;

/**
 * Runs a trainer in its own process group (detached → setsid), so that a time limit, a cancel
 * or the trainer's own exit can take down everything it started (data loader workers, launchers)
 * with one signal to the group. SIGTERM first, SIGKILL after the grace period; whatever is left
 * in the group when the trainer exits is SIGKILLed. A grandchild that calls setsid() itself would
 * escape; the trainers used here do not.
 */
export async function runTrainerProcess(
  command: TrainerCommand,
  options: RunTrainerOptions,
): Promise<TrainerRun> {
  options.signal?.throwIfAborted();
  const started = Date.now();
  // Opened up front so a bad log path fails here, not as an unhandled stream error mid-run.
  const log = (await open(options.logPath, 'a')).createWriteStream();
  // Set from the stream's error event, which TypeScript's narrowing cannot see.
  let logError = null as Error | null;
  log.on('error', (error) => {
    logError ??= error;
  });
  const tail: string[] = [];

  const child = spawn(command.executable, [...command.args], {
    cwd: command.cwd,
    env: { ...command.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  // Listen for exit at once: a trainer that dies instantly must not be missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (error) => resolve(error));
  });
  if (spawned) {
    await closeStream(log);
    throw new JobFailure(
      'NO_TRAINER_ENGINE',
      `could not start the trainer ${command.executable}: ${spawned.message}`,
    );
  }
  const pid = child.pid as number;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };

  const streamsClosed = ['stdout', 'stderr'].map((name) => {
    const stream = name === 'stdout' ? child.stdout : child.stderr;
    const splitter = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (!logError) log.write(chunk);
      const lines = splitter.push(chunk).filter((line) => line.trim() !== '');
      remember(tail, lines);
      options.onOutput?.(lines, splitter.pending);
    });
    return new Promise<void>((resolve) =>
      stream.once('close', () => {
        const rest = splitter.end();
        remember(tail, rest);
        if (rest.length) options.onOutput?.(rest, '');
        resolve();
      }),
    );
  });

  let stopping: TrainerOutcome | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (outcome: TrainerOutcome) => {
    if (stopping) return;
    stopping = outcome;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
  };
  const limitTimer = setTimeout(() => stop({ kind: 'timeout' }), options.timeLimitMs);
  const onAbort = () => stop({ kind: 'cancelled', reason: options.signal?.reason });
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = await exited;
  clearTimeout(limitTimer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);
  // Whatever the trainer left running in its group goes with it; give the kernel a moment to
  // finish them so that a returned run means a quiet GPU (bounded: zombies may await their reaper).
  killGroup('SIGKILL');
  for (let waited = 0; waited < 1_000 && groupExists(pid); waited += 20) await delay(20);
  await Promise.race([Promise.all(streamsClosed), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await closeStream(log);
  if (logError) throw logError;

  const outcome: TrainerOutcome = stopping ?? {
    kind: 'exited',
    exitCode: exit.code,
    exitSignal: exit.signal,
  };
  return { outcome, durationMs: Date.now() - started, tail };
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PROGRESS_REDRAW = /^\s*(?:[\w ]*steps):\s*\d+%\|/;

function remember(tail: string[], lines: readonly string[]): void {
  for (const line of lines) {
    if (PROGRESS_REDRAW.test(line)) continue;
    tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (tail.length > TAIL_LINES) tail.shift();
  }
}

function closeStream(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
