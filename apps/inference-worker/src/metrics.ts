import { createWorkerJobMetrics } from '@stylelicense/worker-runtime';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { GenerationOutcome } from './worker';

/** The inference worker's series: its jobs, plus denoising speed, throughput and the LoRA cache. */
export function createInferenceMetrics() {
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
  const loraCache = new Counter({
    name: 'inference_lora_cache_requests_total',
    help: 'LoRA fetches served from the local cache (hit) or downloaded (miss)',
    labelNames: ['result'],
    registers,
  });
  return {
    registry: jobs.registry,
    jobStarted: () => jobs.jobStarted(),
    /** What a completed generation says about speed and caches. */
    completed(outcome: Extract<GenerationOutcome, { status: 'completed' }>) {
      stepDuration.observe(outcome.timings.pipelineMs / 1000 / outcome.steps);
      images.inc();
      imagesPerSecond.set(1000 / outcome.timings.totalMs);
      loraCache.inc({ result: outcome.loraDownloaded ? 'miss' : 'hit' });
    },
  };
}
