import type { KeyObject } from 'node:crypto';
import {
  developmentProvenanceKey,
  provenancePublicKey,
  provenanceSigner,
  type ProvenanceSigner,
} from '@stylelicense/imaging';
import type { ApiConfig } from '../env';

/**
 * The keys whose manifests verify as ours: PROVENANCE_PUBLIC_KEYS (required in production), else
 * the key this process would sign with in the embedded mode.
 */
export function trustedProvenanceKeys(config: ApiConfig): KeyObject[] {
  if (config.PROVENANCE_PUBLIC_KEYS?.length) return config.PROVENANCE_PUBLIC_KEYS.map(provenancePublicKey);
  return [embeddedProvenanceSigner(config).publicKey];
}

/**
 * What the embedded mode signs with (demo images; the in-process worker resolves the same way):
 * PROVENANCE_PRIVATE_KEY, else the untrusted development key under DATA_DIR/provenance/.
 */
export function embeddedProvenanceSigner(config: ApiConfig): ProvenanceSigner {
  return provenanceSigner(
    config.PROVENANCE_PRIVATE_KEY ?? developmentProvenanceKey(config.DATA_DIR).privateKey,
  );
}
