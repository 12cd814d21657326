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

  it('verifies a WebP result (the manifest binds the bitstream the lossy encode produced)', async () => {
    const webp = await signed('webp');
    expect((await sharp(webp).metadata()).format).toBe('webp');
    const verdict = await verifyProvenance(webp, trusted);
    expect(verdict).toMatchObject({
      status: 'verified',
      manifest: { pixels: { algorithm: 'sha256-webp-bitstream', width: 512, height: 512 } },
    });
  });

  it('reports a WebP with edited pixels, re-encoded, or given alpha as "changed", never "verified"', async () => {
    const webp = await signed('webp');
    const { xmpAsString } = await sharp(webp).metadata();
    const { data, info } = await sharp(webp).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    // One pixel edited, encoded again with the same settings and the signed XMP copied over.
    const edited = Buffer.from(data);
    edited[100 * info.width * info.channels + 300]! ^= 0x08;
    const editedWebp = await sharp(edited, raw)
      .withXmp(xmpAsString!)
      .webp({ quality: 85, effort: 0 })
      .toBuffer();
    expect((await verifyProvenance(editedWebp, trusted)).status).toBe('changed');
    // The same decoded pixels re-encoded (lossless, so nothing is lost) with the XMP kept.
    const reencoded = await sharp(data, raw).withXmp(xmpAsString!).webp({ lossless: true }).toBuffer();
    expect((await verifyProvenance(reencoded, trusted)).status).toBe('changed');
    // The signed bitstream kept, but an alpha channel added beside it: what is shown changes.
    const alphaSource = await sharp(data, raw).ensureAlpha(0.5).webp({ quality: 85 }).toBuffer();
    const alph = chunk(alphaSource, 'ALPH');
    const vp8x = chunk(webp, 'VP8X');
    vp8x[8]! |= 0x10; // the alpha flag
    const body = Buffer.concat([vp8x, alph, chunk(webp, 'VP8 '), chunk(webp, 'XMP ')]);
    const header = Buffer.alloc(12);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(4 + body.length, 4);
    header.write('WEBP', 8, 'latin1');
    const withAlpha = Buffer.concat([header, body]);
    expect((await sharp(withAlpha).metadata()).hasAlpha).toBe(true);
    expect((await verifyProvenance(withAlpha, trusted)).status).toBe('changed');
    // A byte of the bitstream flipped in place.
    const flipped = Buffer.from(webp);
    const vp8 = flipped.indexOf('VP8 ', 12, 'latin1');
    flipped[vp8 + 8 + 200]! ^= 0x01;
    expect((await verifyProvenance(flipped, trusted)).status).toBe('changed');
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

/** A WebP chunk with its header and padding, copied out of the file. */
function chunk(webp: Buffer, fourcc: string): Buffer {
  for (let at = 12; at < webp.length;) {
    const size = webp.readUInt32LE(at + 4);
    const end = at + 8 + size + (size % 2);
    if (webp.toString('latin1', at, at + 4) === fourcc) return Buffer.from(webp.subarray(at, end));
    at = end;
  }
  throw new Error(`no ${fourcc} chunk`);
}
