import { stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, requireService, testServices } from '../src';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listenOn(port: number): Promise<Server> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

describe('freePort', () => {
  it('returns a loopback port a server can listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await listenOn(port);
  });
});

describe('makeTempDir', () => {
  it('makes a fresh sl-<label>- folder and removes it with its contents', async () => {
    const temp = await makeTempDir('test-kit');
    expect(basename(temp.path)).toMatch(/^sl-test-kit-/);
    await writeFile(join(temp.path, 'file'), 'x');
    await temp.remove();
    await expect(stat(temp.path)).rejects.toMatchObject({ code: 'ENOENT' });
    await temp.remove();
  });
});

describe('requireService', () => {
  it('resolves when something listens there', async () => {
    const port = await freePort();
    await listenOn(port);
    await requireService({ name: 'Thing', variable: 'TEST_THING_URL', url: `redis://127.0.0.1:${port}` });
  });

  it('names the service and its variable when nothing listens', async () => {
    const port = await freePort();
    await expect(
      requireService({
        name: 'RabbitMQ',
        variable: 'TEST_AMQP_URL',
        url: `amqp://guest:secret@127.0.0.1:${port}`,
      }),
    ).rejects.toThrow(
      `RabbitMQ is not reachable at 127.0.0.1:${port} (ECONNREFUSED): start it, or set TEST_AMQP_URL`,
    );
  });

  it('knows each service by name, variable and a URL', () => {
    expect(Object.values(testServices).map(({ name, variable }) => `${name} ${variable}`)).toEqual([
      'PostgreSQL TEST_DATABASE_URL',
      'RabbitMQ TEST_AMQP_URL',
      'Redis TEST_REDIS_URL',
    ]);
    for (const service of Object.values(testServices)) expect(() => new URL(service.url)).not.toThrow();
  });
});
