import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /**
   * Connect with this URL exactly like a real server, one connection at a time (PGlite runs one
   * session, which outlives connections: `createDatabase` with `sharedSession`).
   */
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback socket so Prisma and the
 * migration runner use the very same node-postgres path as production.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port = 0,
}: {
  dataDir: string;
  port?: number;
}): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, extensions: { pg_trgm } });
  // Room for one more: a pool replacing a broken connection may connect before the server has seen
  // the old one close, and a refused connection would fail a request.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 2 });
  await server.start();
  // getServerConn() reports "host:port" once listening (port 0 picks a free one).
  const conn = server.getServerConn();
  return {
    url: `postgresql://postgres:postgres@${conn}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
