import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

// A worker's Prometheus series, served by its health server at /metrics. Both workers count their
// jobs the same way; each adds its own series (inference steps, caches) to `registry`.

export interface WorkerJobMetrics {
  registry: Registry;
  /** Count a job taken from the queue; call the returned function with how it ended. */
  jobStarted(): (outcome: { status: string; code?: string }) => void;
}

export function createWorkerJobMetrics(job: 'generation' | 'training'): WorkerJobMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const started = new Counter({
    name: 'worker_jobs_started_total',
    help: 'Jobs taken from the queue',
    labelNames: ['job'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'worker_jobs_finished_total',
    help: 'Jobs finished, by outcome (completed, failed, cancelled, handed back…)',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const failed = new Counter({
    name: 'worker_jobs_failed_total',
    help: 'Jobs that failed, by failure code',
    labelNames: ['job', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'worker_job_duration_seconds',
    help: 'Job durations in the worker, by outcome',
    labelNames: ['job', 'outcome'],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  return {
    registry,
    jobStarted() {
      started.inc({ job });
      const end = duration.startTimer({ job });
      return ({ status, code }) => {
        finished.inc({ job, outcome: status });
        if (code) failed.inc({ job, code });
        end({ outcome: status });
      };
    },
  };
}
