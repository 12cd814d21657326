// The health server is the same for both GPU workers; the body is this worker's `health()` report.
export { startHealthServer } from '@stylelicense/worker-runtime';
