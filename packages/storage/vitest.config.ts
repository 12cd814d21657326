import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// s3rver (the S3 server the tests run in-process) encrypts ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 offers only through its legacy
// provider; without it every truncated listing answers 500.
export default mergeConfig(shared, { test: { execArgv: ['--openssl-legacy-provider'] } });
