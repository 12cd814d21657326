import type { EngineCacheCounts } from '@stylelicense/diffusion';
import { createWorkerJobMetrics } from '@stylelicense/worker-runtime';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { GenerationOutcome } from './worker';

/** Where the cache series are read: the diffusion thread's caches and the LoRA files on disk. */
export interface CacheSources {
  engine(): EngineCacheCounts;
  loraFiles(): { hits: number; misses: number };
}

/**
 * The inference worker's series: its jobs, denoising speed, throughput, and the hits and misses of
 * its caches — `session` (ONNX Runtime sessions) and `lora_factors` (decoded style factors), both
 * in the diffusion thread, and `lora_file` (style files on local disk).
 */
export function createInferenceMetrics(caches: CacheSources) {
  const jobs = createWorkerJobMetrics('generation');
  const registers = [jobs.registry];
  const stepDuration = new Histogram({
    name: 'inference_step_duration_seconds',
    help: 'Denoising time per step (pipeline time / steps) of each completed generation',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const images = new Counter({ name: 'inference_images_total', help: 'Signed images produced', registers });
  const imagesPerSecond = new Gauge({
    name: 'inference_images_per_second',
    help: 'Images per second of the last completed generation (1 / its total time)',
    registers,
  });

  // The caches count where they decide; a scrape adds what they counted since the last one.
  const now = () => {
    const engine = caches.engine();
    return { session: engine.session, lora_factors: engine.loraFactors, lora_file: caches.loraFiles() };
  };
  const scraped = {
    session: { hits: 0, misses: 0 },
    lora_factors: { hits: 0, misses: 0 },
    lora_file: { hits: 0, misses: 0 },
  };
  const cacheCounter = (result: 'hits' | 'misses') =>
    new Counter({
      name: `inference_cache_${result}_total`,
      help: `Cache ${result === 'hits' ? 'hits' : 'misses'} by cache: session (ONNX Runtime sessions), lora_factors (decoded style factors), lora_file (style files on disk)`,
      labelNames: ['cache'],
      registers,
      collect() {
        for (const [cache, counts] of Object.entries(now()) as Array<
          [keyof typeof scraped, { hits: number; misses: number }]
        >) {
          this.inc({ cache }, counts[result] - scraped[cache][result]);
          scraped[cache][result] = counts[result];
        }
      },
    });
  cacheCounter('hits');
  cacheCounter('misses');

  return {
    registry: jobs.registry,
    jobStarted: () => jobs.jobStarted(),
    /** What a completed generation says about speed. */
    completed(outcome: Extract<GenerationOutcome, { status: 'completed' }>) {
      stepDuration.observe(outcome.timings.pipelineMs / 1000 / outcome.steps);
      images.inc();
      imagesPerSecond.set(1000 / outcome.timings.totalMs);
    },
  };
}
