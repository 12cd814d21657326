// The API in its own process for a benchmark (so the load generator does not share its event loop),
// configured by the environment like production; `bench/catalog/server.ts` prints its URL.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@stylelicense/test-kit';

export interface ApiProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts the API on a free loopback port with `env` over the benches' defaults; resolves once it listens. */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      // e.g. BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the API under load.
      ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      fileURLToPath(new URL('../catalog/server.ts', import.meta.url)),
    ],
    {
      env: {
        ...process.env,
        MODE: 'development',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        QUEUE_DRIVER: 'in-process',
        // The load generator stands in for the load balancer: X-Forwarded-For names each visitor.
        TRUST_PROXY: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`API exited with ${code}`)));
    server.stdout.on('data', (chunk: Buffer) => {
      const match = /LISTENING (\S+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
  });
  return {
    url,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    },
  };
}
