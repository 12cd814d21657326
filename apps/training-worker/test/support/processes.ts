import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** True while a process exists and is not a zombie waiting to be reaped. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/**
 * Whether a process is still running 10 s from now (SIGKILL is asynchronous, and a busy machine
 * reaps slowly; a live one never stops).
 */
export async function isAlive(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (!(await isRunning(pid))) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * The fake trainer's pids (it writes `output/pids.json` in the job's scratch folder when asked
 * for a grandchild), read while the job runs: the worker removes the folder when the job ends.
 */
export async function readPidsWhileRunning(
  workDir: string,
  timeoutMs = 20_000,
): Promise<{ trainer: number; grandchild: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const jobs = (await readdir(workDir).catch(() => [] as string[])).filter((name) =>
      name.startsWith('job-'),
    );
    for (const job of jobs) {
      const text = await readFile(join(workDir, job, 'output', 'pids.json'), 'utf8').catch(() => null);
      if (text) return JSON.parse(text) as { trainer: number; grandchild: number };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no trainer pids appeared under ${workDir}`);
}
