import {
  generateProvenanceKeyPair,
  provenanceSigner,
  stampSignature,
  TRAINED_ALGORITHMIC_MEDIA,
  type ProvenanceSigner,
} from '@stylelicense/imaging';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedProvenanceSigner } from '../src/platform/provenance';
import type { VerifyResult } from '../src/provenance/verify';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';

let api: TestApi;
let signature: Buffer;
const claims = {
  artist: 'Hana Kim',
  artistId: '0193a0f4-0000-7000-8000-0000000000a1',
  style: 'Ink Wash',
  styleId: '0193a0f4-0000-7000-8000-0000000000b2',
  generationId: '0193a0f4-0000-7000-8000-0000000000c3',
  license: 'personal',
};

async function result(provenance: ProvenanceSigner): Promise<Buffer> {
  const pixels = await sharp({
    create: {
      width: 512,
      height: 512,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 120, sigma: 40 },
    },
  })
    .raw()
    .toBuffer();
  const stamped = await stampSignature({
    image: pixels,
    raw: { width: 512, height: 512 },
    signaturePng: signature,
    metadata: claims,
    provenance,
    format: 'png',
  });
  return stamped.bytes;
}

/** POSTs the bytes as a tool elsewhere would: no cookie, another site's Origin. */
async function verifyOverRest(image: Uint8Array): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${api.url}/api/provenance/verify`, {
    method: 'POST',
    headers: { 'content-type': 'image/png', origin: 'https://news.example' },
    body: image,
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  api = await startTestApi();
  signature = await sharp({ create: { width: 300, height: 120, channels: 4, background: '#c81e3cff' } })
    .png()
    .toBuffer();
});
afterAll(async () => {
  await api.stop();
});

describe('verifying an image', () => {
  it('answers over REST: ours, which generation, style, artist and licence, pixels unchanged', async () => {
    // What the embedded worker signs with when no key is configured: the development key under DATA_DIR.
    const image = await result(embeddedProvenanceSigner(api.config));
    const { status, body } = await verifyOverRest(image);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'verified',
      ours: true,
      pixelsChanged: false,
      claims: {
        generationId: claims.generationId,
        style: { id: claims.styleId, name: 'Ink Wash' },
        artist: { id: claims.artistId, name: 'Hana Kim' },
        license: 'personal',
        digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
        generator: expect.stringContaining(claims.styleId),
        keyId: embeddedProvenanceSigner(api.config).keyId,
      },
    });
  });

  it('says the pixels changed after an edit, and that another key’s image is not ours', async () => {
    const image = await result(embeddedProvenanceSigner(api.config));
    const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
    data.fill(255, 0, 3 * 64); // a white line across the top
    const { xmpAsString } = await sharp(image).metadata();
    const edited = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .withXmp(xmpAsString!)
      .png()
      .toBuffer();
    expect((await verifyOverRest(edited)).body).toMatchObject({
      status: 'changed',
      ours: true,
      pixelsChanged: true,
      claims: { generationId: claims.generationId },
    });

    const foreign = await result(provenanceSigner(generateProvenanceKeyPair().privateKey));
    expect((await verifyOverRest(foreign)).body).toEqual({
      status: 'not_ours',
      ours: false,
      pixelsChanged: null,
      claims: null,
    });
    const stripped = await sharp(image).png().toBuffer();
    expect((await verifyOverRest(stripped)).body).toMatchObject({ status: 'unsigned', ours: false });
  });

  it('answers through tRPC too, and refuses what is not an image with its code', async () => {
    const browser = new Browser(api.url);
    const image = await result(embeddedProvenanceSigner(api.config));
    const verified = await browser.mutate<VerifyResult>('provenance.verify', {
      imageBase64: image.toString('base64'),
    });
    expect(verified.data).toMatchObject({ status: 'verified', claims: { license: 'personal' } });

    const garbage = await verifyOverRest(Buffer.from('not an image at all'));
    expect(garbage).toMatchObject({ status: 422, body: { error: { code: 'INVALID_IMAGE_FORMAT' } } });
    const refused = await browser.mutate('provenance.verify', {
      imageBase64: Buffer.from('GIF89a').toString('base64'),
    });
    expect(refused.error?.data.code).toBe('INVALID_IMAGE_FORMAT');
  });
});
