import type { ExecutionProviderConfig } from '@stylelicense/diffusion';

/** What a running inference worker needs, however it was started (process env or the embedded API). */
export interface InferenceWorkerConfig {
  /** Names this worker in logs. */
  workerId: string;
  /** The API origin the webhooks go to, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** `whsec_…` secret of the `inference` webhook source. */
  webhookSecret: string;
  /** Data folder: the synthetic model lives under `models/tiny` when `modelDir` is unset. */
  dataDir: string;
  /** An Optimum-layout model folder; unset = the synthetic `tiny` model (built on first start). */
  modelDir?: string;
  provider: ExecutionProviderConfig;
  /** Model weights kept loaded (LRU over sessions: one per component of the model folder). */
  sessionCacheBytes: number;
  /** Overrides the job's steps / guidance when set (turbo models, the tiny smoke model). */
  steps?: number;
  guidance?: number;
  loraStrength: number;
  /** Downloaded style LoRA files, by storage key + etag. */
  loraCacheDir: string;
  loraCacheBytes: number;
  /** Styles' LoRA factors are padded to this rank (higher ranks fail as LORA_INVALID). */
  loraMaxRank: number;
  /** Decoded style factors kept in memory (LRU). */
  loraMemoryBytes: number;
  /** Jobs taken at once; those with the same size and steps run batched in one UNet call. */
  prefetch: number;
  /** How long a lone job waits for others to share its UNet calls. */
  batchWindowMs: number;
  outputFormat: 'png' | 'webp';
  /** A job running longer fails with TIMEOUT (retryable). */
  jobTimeoutMs: number;
  /** On shutdown, how long the job in hand may run before it is handed back to the queue. */
  shutdownGraceMs: number;
  /** Undelivered completion/failure webhooks wait here (replayed in order). */
  spoolDir: string;
  /**
   * Ed25519 private key (PKCS#8 DER, base64) every result's provenance manifest is signed with;
   * unset = the untrusted development key under `<dataDir>/provenance/` (made on first start).
   */
  provenanceKey?: string;
}

/** Minimal structured logger (pino-compatible: fields first, then the message). */
export type { WorkerLog } from '@stylelicense/worker-runtime';
