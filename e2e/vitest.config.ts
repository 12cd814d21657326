import { mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

// s3rver runs inside the test process; it encrypts ListObjectsV2 continuation tokens with DES,
// which OpenSSL 3 offers only through its legacy provider (see packages/storage).
export default mergeConfig(shared, { test: { execArgv: ['--openssl-legacy-provider'] } });
