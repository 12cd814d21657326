import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateProvenanceKeyPair } from './provenance';

export interface ProvenanceKeyPair {
  /** PKCS#8 DER, base64 */
  privateKey: string;
  /** SPKI DER, base64 */
  publicKey: string;
}

/**
 * The development key pair under `<dataDir>/provenance/`, made on first use. Untrusted by
 * design: anyone with the data folder can sign with it; production configures its own key.
 * The API and the workers sharing a data folder (embedded, local development) agree on it: the
 * file appears atomically (a hard link of a finished temp file), so concurrent first starts keep
 * one key.
 */
export function developmentProvenanceKey(dataDir: string): ProvenanceKeyPair {
  const folder = join(dataDir, 'provenance');
  const file = join(folder, 'development-key.json');
  mkdirSync(folder, { recursive: true });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProvenanceKeyPair;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temp = join(folder, `.development-key.${randomBytes(6).toString('hex')}.json`);
  writeFileSync(temp, JSON.stringify(generateProvenanceKeyPair()), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ProvenanceKeyPair;
}
