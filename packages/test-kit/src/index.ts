export { testServices, type TestService } from './env';
export { freePort } from './ports';
export { requireService } from './services';
export { makeTempDir, type TempDir } from './temp-dir';
