// Entry of the inference worker thread: owns the DiffusionEngine (ONNX Runtime sessions and
// their cache) so that ORT's blocking run() never stalls the main event loop.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { DiffusionEngine } from '../pipeline/engine';
import { DiffusionError } from '../pipeline/errors';
import type { DiffusionLogger } from '../pipeline/execution-provider';
import type { FromThread, SerializedError, ThreadOptions, ToThread } from './protocol';

const port = parentPort;
if (!port) throw new Error('inference-thread must run inside a worker thread');

const send = (message: FromThread, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

const logger: DiffusionLogger = {
  info: (message, fields) => send({ type: 'log', level: 'info', message, fields: plain(fields) }),
  warn: (message, fields) => send({ type: 'log', level: 'warn', message, fields: plain(fields) }),
};

const engine = new DiffusionEngine({ ...(workerData as ThreadOptions), logger });
const running = new Map<number, AbortController>();

/** Sends the cache counts, then the request's answer. */
const answer = (message: FromThread, transfer: ArrayBuffer[] = []): void => {
  send({ type: 'caches', counts: engine.cacheCounts });
  send(message, transfer);
};

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'generate': {
      const controller = new AbortController();
      running.set(message.id, controller);
      engine
        .generate(message.request, {
          signal: controller.signal,
          onProgress: (progress) => send({ type: 'progress', id: message.id, progress }),
        })
        .then(
          (image) => answer({ type: 'result', id: message.id, image }, [image.pixels.buffer as ArrayBuffer]),
          (error: unknown) => answer({ type: 'error', id: message.id, error: serialize(error) }),
        )
        .finally(() => running.delete(message.id));
      break;
    }
    case 'preload':
      engine.preload(message.modelDir, message.lora).then(
        () => answer({ type: 'done', id: message.id }),
        (error: unknown) => answer({ type: 'error', id: message.id, error: serialize(error) }),
      );
      break;
    case 'cancel':
      running.get(message.id)?.abort();
      break;
    case 'close':
      for (const controller of running.values()) controller.abort();
      void engine.close().finally(() => {
        send({ type: 'closed' });
        port.close();
      });
      break;
  }
});

send({ type: 'ready', threadId });

function serialize(error: unknown): SerializedError {
  if (error instanceof DiffusionError)
    return { code: error.code, message: error.message, retryable: error.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INFERENCE_FAILED', message, retryable: true };
}

// Log fields cross the thread boundary by structured clone: keep them to plain data.
function plain(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return fields === undefined ? undefined : (JSON.parse(JSON.stringify(fields)) as Record<string, unknown>);
}
