export { DiffusionWorker, type DiffusionWorkerOptions, type WorkerImage } from './diffusion-worker';
