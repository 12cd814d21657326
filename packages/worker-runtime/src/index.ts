export {
  embeddedEnv,
  parseWorkerEnv,
  processSettingsFromEnv,
  storageConfigFromEnv,
  workerEnvFields,
  workerIdentityFromEnv,
  type BrokerSettings,
  type CommonWorkerEnv,
  type EnvSource,
  type WorkerIdentity,
  type WorkerLogLevel,
  type WorkerProcessSettings,
} from './env';
export { takeJobs, takeJobsOneAtATime, untilAborted, type JobIntake } from './jobs';
export { startHealthServer, type HealthSource } from './health';
export { createWorkerLogger, type WorkerLog } from './log';
export { createWorkerJobMetrics, type WorkerJobMetrics } from './metrics';
export { connectBroker, stopOnSignals, type RunningWorker } from './process';
export {
  createReportChannel,
  flushAndCloseReporter,
  type ReportChannel,
  type ReporterOptions,
} from './reports';
export { createWebhookSender, type WebhookDelivery, type WebhookSender } from './webhook-sender';
