import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { makeTempDir } from '@stylelicense/test-kit';
import S3rver from 's3rver';
import { createFilesystemStorageHandler, FilesystemStorage, S3Storage } from '../src';

export interface StorageHarness<T> {
  storage: T;
  close: () => Promise<void>;
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

/** A filesystem driver in a temp dir with its presigned-URL route mounted at /storage on a loopback server. */
export async function startFilesystemStorage(): Promise<
  StorageHarness<FilesystemStorage> & { baseUrl: string }
> {
  const root = await makeTempDir('storage-fs');
  const route: { handler?: ReturnType<typeof createFilesystemStorageHandler> } = {};
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/storage/') || route.handler === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    req.url = req.url.slice('/storage'.length); // what Express does for app.use('/storage', …)
    void route.handler(req, res);
  });
  const port = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}/storage`;
  const storage = new FilesystemStorage({
    root: root.path,
    publicBaseUrl: baseUrl,
    signingSecret: randomBytes(32),
  });
  route.handler = createFilesystemStorageHandler(storage);
  return {
    storage,
    baseUrl,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await root.remove();
    },
  };
}

/** s3rver on a random loopback port, a fresh bucket, the real SDK. */
export async function startS3Storage(): Promise<
  StorageHarness<S3Storage> & { endpoint: string; bucket: string }
> {
  const directory = await makeTempDir('storage-s3');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: directory.path });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = `sl-test-${randomBytes(4).toString('hex')}`;
  const storage = new S3Storage({
    bucket,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: 1,
  });
  return {
    storage,
    endpoint,
    bucket,
    async close() {
      storage.destroy();
      await server.close();
      await directory.remove();
    },
  };
}
