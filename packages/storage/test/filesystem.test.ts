import { describeStorageContract } from './contract';
import { startFilesystemStorage } from './harness';

describeStorageContract('filesystem', startFilesystemStorage);
