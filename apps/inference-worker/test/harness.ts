// Real parts for the worker's tests: the synthetic tiny model, a LoRA for it, filesystem storage,
// a loopback "API" that verifies Standard Webhooks signatures and records what arrives.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  generateWebhookSecret,
  parseMessage,
  verifyWebhook,
  WEBHOOK_ROUTES,
  type GenerationJobInput,
  type WebhookRoute,
} from '@stylelicense/contracts';
import { buildSyntheticModel, decodeModel, SeededNoise } from '@stylelicense/diffusion';
import { encodeSafetensors } from '@stylelicense/safetensors';
import { createStorage, storageKeys, type ObjectStorage } from '@stylelicense/storage';
import sharp from 'sharp';
import type { InferenceWorkerConfig, WorkerLog } from '../src/config';

export const silentLog: WorkerLog = { info: () => {}, warn: () => {}, error: () => {} };

/** The synthetic tiny model under `parent` (built in well under a second). */
export function buildTinyModel(parent: string): string {
  return buildSyntheticModel({ preset: 'tiny', dir: join(parent, 'model'), seed: 7 }).dir;
}

/**
 * A kohya-format LoRA for the tiny UNet's first attention block (to_q/to_k/to_v/to_out), found
 * from the model's own initializer names; rank 4, strong enough to change the image.
 */
export async function tinyLora(modelDir: string, seed = 3): Promise<Uint8Array> {
  const unet = decodeModel(new Uint8Array(await readFile(join(modelDir, 'unet', 'model.onnx'))));
  const noise = new SeededNoise(seed);
  const rank = 4;
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; values: Float32Array | number[] }> = {};
  for (const t of unet.graph.initializers) {
    const match = /^(.*transformer_blocks\.0\.attn1\.(?:to_q|to_k|to_v|to_out\.0))\.weight$/.exec(t.name);
    if (!match || t.dims.length !== 2) continue;
    const [inputs, outputs] = [t.dims[0]!, t.dims[1]!]; // MatMul weights are [in, out]
    const key = `lora_unet_${match[1]!.replaceAll('.', '_')}`;
    tensors[`${key}.lora_down.weight`] = {
      dtype: 'F32',
      shape: [rank, inputs],
      values: noise.gaussian(rank * inputs).map((v) => v * 0.5),
    };
    tensors[`${key}.lora_up.weight`] = {
      dtype: 'F32',
      shape: [outputs, rank],
      values: noise.gaussian(outputs * rank).map((v) => v * 0.5),
    };
    tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [rank] };
  }
  if (Object.keys(tensors).length === 0) throw new Error('tiny UNet has no attention block to adapt');
  return encodeSafetensors(tensors);
}

/** A 200×80 signature: an opaque magenta bar over a half-transparent one, the rest transparent. */
export async function signaturePng(): Promise<Buffer> {
  const width = 200;
  const height = 80;
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const alpha = y < 40 && x < 160 ? 255 : y >= 40 && x >= 40 ? 128 : 0;
      rgba.set([230, 20, 200, alpha], i);
    }
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

export interface StyleFixture {
  styleId: string;
  artistId: string;
  loraKey: string;
  signatureKey: string;
}

/** Uploads a style's LoRA and its artist's signature, as the training worker and the API would. */
export async function seedStyle(
  storage: ObjectStorage,
  modelDir: string,
  loraSeed = 3,
): Promise<StyleFixture> {
  const styleId = `style-${randomUUID()}`;
  const artistId = `artist-${randomUUID()}`;
  const loraKey = storageKeys.model(styleId, 'lora.safetensors');
  const signatureKey = storageKeys.signature(artistId);
  await storage.put(loraKey, await tinyLora(modelDir, loraSeed), { contentType: 'application/octet-stream' });
  await storage.put(signatureKey, await signaturePng(), { contentType: 'image/png' });
  return { styleId, artistId, loraKey, signatureKey };
}

export function generationJob(
  style: StyleFixture,
  overrides: Partial<GenerationJobInput> = {},
): GenerationJobInput {
  return {
    v: 1,
    generationId: `gen-${randomUUID()}`,
    styleId: style.styleId,
    userId: `user-${randomUUID()}`,
    loraModelKey: style.loraKey,
    promptTags: ['lighthouse', 'dusk'],
    description: '해 질 녘 등대',
    aspectRatio: '1:1',
    width: 512,
    height: 512,
    seed: 1234,
    // Two steps without the unconditional pass keep a 512² job at a few seconds on a CPU.
    steps: 2,
    guidance: 1,
    attempt: 1,
    signatureKey: style.signatureKey,
    artistName: 'Hana Kim',
    styleName: 'Ink Wash',
    licenseType: 'commercial',
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

export function filesystemStorage(root: string): ObjectStorage {
  return createStorage({
    driver: 'filesystem',
    root,
    publicBaseUrl: 'http://127.0.0.1:1/api/storage',
    signingSecret: randomBytes(32),
  });
}

export interface ReceivedWebhook {
  route: WebhookRoute;
  webhookId: string;
  payload: Record<string, unknown>;
  at: number;
}

/**
 * The API's side of the webhooks, on loopback: every request is verified with contracts'
 * Standard Webhooks verifier and parsed with the route's schema (401 / 400 otherwise, like the
 * API). `status` makes it answer something else (e.g. 503 while "down").
 */
export async function startWebhookReceiver() {
  const secret = generateWebhookSecret();
  const received: ReceivedWebhook[] = [];
  const refused: { path: string; status: number; reason: string }[] = [];
  const listeners = new Set<(hook: ReceivedWebhook) => void>();
  const routes = new Map<string, { name: WebhookRoute; route: (typeof WEBHOOK_ROUTES)[WebhookRoute] }>(
    Object.entries(WEBHOOK_ROUTES).map(([name, route]) => [
      route.path,
      { name: name as WebhookRoute, route },
    ]),
  );
  // `stop`: generations the "API" answers with stop (their owner cancelled them).
  const state = { status: 200, stop: new Set<string>() };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = routes.get(req.url ?? '');
      const refuse = (status: number, reason: string) => {
        refused.push({ path: req.url ?? '', status, reason });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
      };
      if (state.status !== 200) return refuse(state.status, 'down');
      if (!entry || entry.route.source !== 'inference' || req.headers['webhook-source'] !== 'inference')
        return refuse(404, 'unknown route');
      let webhookId: string;
      let payload: Record<string, unknown>;
      try {
        webhookId = verifyWebhook({ secret, headers: req.headers, body }).id;
      } catch (error) {
        return refuse(401, String(error));
      }
      try {
        payload = parseMessage(entry.route.schema, body);
      } catch (error) {
        return refuse(400, String(error));
      }
      const hook = { route: entry.name, webhookId, payload, at: Date.now() };
      received.push(hook);
      const stop = entry.name === 'generationProgress' && state.stop.has(String(payload.generationId));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(stop ? '{"status":"ignored","stop":true}' : '{"status":"applied"}');
      for (const listener of listeners) listener(hook);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url,
    secret,
    received,
    refused,
    state,
    forGeneration(generationId: string): ReceivedWebhook[] {
      return received.filter((hook) => hook.payload.generationId === generationId);
    },
    /** Resolves with the first webhook (past or future) that matches. */
    waitFor(match: (hook: ReceivedWebhook) => boolean, timeoutMs = 60_000): Promise<ReceivedWebhook> {
      const seen = received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `no matching webhook within ${timeoutMs} ms; got ${JSON.stringify(received.map((h) => [h.route, h.payload.generationId]))}`,
            ),
          );
        }, timeoutMs);
        const listener = (hook: ReceivedWebhook) => {
          if (!match(hook)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(hook);
        };
        listeners.add(listener);
      });
    },
    onWebhook(listener: (hook: ReceivedWebhook) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

export const isRoute = (route: WebhookRoute, generationId: string) => (hook: ReceivedWebhook) =>
  hook.route === route && hook.payload.generationId === generationId;

export function workerConfig(
  dir: string,
  receiver: WebhookReceiver,
  modelDir: string,
  overrides: Partial<InferenceWorkerConfig> = {},
): InferenceWorkerConfig {
  return {
    workerId: 'inference-test',
    apiUrl: receiver.url,
    webhookSecret: receiver.secret,
    dataDir: dir,
    modelDir,
    provider: { provider: 'cpu' },
    sessionCacheBytes: 512 * 1024 ** 2,
    loraStrength: 1,
    loraCacheDir: join(dir, 'lora-cache'),
    loraCacheBytes: 256 * 1024 ** 2,
    loraMaxRank: 16,
    loraMemoryBytes: 64 * 1024 ** 2,
    prefetch: 1,
    batchWindowMs: 2,
    outputFormat: 'png',
    jobTimeoutMs: 120_000,
    shutdownGraceMs: 30_000,
    spoolDir: join(dir, 'spool'),
    ...overrides,
  };
}
