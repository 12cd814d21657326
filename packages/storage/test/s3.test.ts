import { describeStorageContract } from './contract';
import { startS3Storage } from './harness';

describeStorageContract('s3 (s3rver on loopback)', startS3Storage);
