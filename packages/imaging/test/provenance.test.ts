import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  stampSignature,
  TRAINED_ALGORITHMIC_MEDIA,
  verifyProvenance,
  type StampFormat,
  type StampMetadata,
} from '../src';
import { gradientRgb, signaturePng, testSigner } from './fixtures';

const metadata: StampMetadata = {
  artist: '김하나',
  artistId: '0193a0f4-0000-7000-8000-0000000000a1',
  style: 'Ink Wash',
  styleId: '0193a0f4-0000-7000-8000-0000000000b2',
  generationId: '0193a0f4-0000-7000-8000-0000000000c3',
  license: 'commercial',
  seed: 7,
};
const ours = testSigner();
const trusted = [ours.publicKey];
let signature: Buffer;
let result: Buffer;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;

async function signed(format: StampFormat, provenance = ours): Promise<Buffer> {
  const stamped = await stampSignature({
    image: gradientRgb(512, 512),
    raw: { width: 512, height: 512 },
    signaturePng: signature,
    metadata,
    provenance,
    format,
  });
  return stamped.bytes;
}

beforeAll(async () => {
  signature = await signaturePng();
  result = await signed('png');
  tmp = await makeTempDir('provenance');
});
afterAll(async () => {
  await tmp.remove();
});

describe('provenance manifest', () => {
  it('verifies a fresh result and names what made it: our trained model, the generation, style, artist and licence', async () => {
    const verdict = await verifyProvenance(result, trusted);
    expect(verdict.status).toBe('verified');
    expect(verdict.manifest).toMatchObject({
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      generationId: metadata.generationId,
      style: { id: metadata.styleId, name: 'Ink Wash' },
      artist: { id: metadata.artistId, name: '김하나' },
      license: 'commercial',
      pixels: { width: 512, height: 512 },
      keyId: ours.keyId,
    });
    expect(verdict.manifest?.generator).toContain(metadata.styleId);
  });

  it('verifies a WebP result (the manifest binds the pixels the lossy encode produced)', async () => {
    const webp = await signed('webp');
    expect((await sharp(webp).metadata()).format).toBe('webp');
    expect((await verifyProvenance(webp, trusted)).status).toBe('verified');
  });

  it('reports "changed" when one pixel is edited and the metadata copied over', async () => {
    const { data, info } = await sharp(result).raw().toBuffer({ resolveWithObject: true });
    data[100 * info.width * 3 + 300]! ^= 0x01;
    const { xmpAsString } = await sharp(result).metadata();
    const edited = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .withXmp(xmpAsString!)
      .png()
      .toBuffer();
    const verdict = await verifyProvenance(edited, trusted);
    expect(verdict.status).toBe('changed');
    expect(verdict.manifest?.generationId).toBe(metadata.generationId);
  });

  it('reports "changed" for a lossy re-encode that keeps the metadata, "unsigned" for one that drops it', async () => {
    const jpeg = await sharp(result).keepMetadata().jpeg({ quality: 95 }).toBuffer();
    expect((await verifyProvenance(jpeg, trusted)).status).toBe('changed');
    const stripped = await sharp(result).png().toBuffer();
    expect(await verifyProvenance(stripped, trusted)).toEqual({ status: 'unsigned', manifest: null });
  });

  it('says an image signed by another key, or with an altered manifest, is not ours', async () => {
    const theirs = await signed('png', testSigner());
    expect(await verifyProvenance(theirs, trusted)).toEqual({ status: 'not_ours', manifest: null });

    const { xmpAsString } = await sharp(result).metadata();
    const manifest = /sl:provenance="([^"]*)"/.exec(xmpAsString!)![1]!;
    const forged = Buffer.from(
      Buffer.from(manifest, 'base64').toString('utf8').replace('"commercial"', '"exclusive"'),
    ).toString('base64');
    const relabelled = await sharp(result).withXmp(xmpAsString!.replace(manifest, forged)).png().toBuffer();
    expect((await verifyProvenance(relabelled, trusted)).status).toBe('not_ours');
  });

  it('is read and verified by an independent process that has only Node built-ins and the public key', async () => {
    const file = join(tmp.path, 'result.png');
    await writeFile(file, result);
    const reader = fileURLToPath(new URL('./independent-reader.mjs', import.meta.url));
    const publicKey = ours.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const run = async (path: string) =>
      JSON.parse((await promisify(execFile)(process.execPath, [reader, path, publicKey])).stdout) as {
        signed: boolean;
        signatureValid?: boolean;
        pixelsMatch?: boolean;
        manifest?: { generationId: string; license: string; digitalSourceType: string };
      };
    expect(await run(file)).toMatchObject({
      signed: true,
      signatureValid: true,
      pixelsMatch: true,
      manifest: {
        generationId: metadata.generationId,
        license: 'commercial',
        digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      },
    });

    const { data, info } = await sharp(result).raw().toBuffer({ resolveWithObject: true });
    data[0]! ^= 0x10;
    const { xmpAsString } = await sharp(result).metadata();
    const editedFile = join(tmp.path, 'edited.png');
    await writeFile(
      editedFile,
      await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
        .withXmp(xmpAsString!)
        .png()
        .toBuffer(),
    );
    expect(await run(editedFile)).toMatchObject({ signed: true, signatureValid: true, pixelsMatch: false });
  });
});
