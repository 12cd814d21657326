import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clearSignatureCache,
  readStampMetadata,
  signatureBox,
  signatureCacheSize,
  stampSignature,
  type StampMetadata,
} from '../src';
import { testSigner } from './fixtures';
import { encodedImage, gradientRgb, pngChunks, SIGNATURE_COLOUR, signaturePng } from './fixtures';

const metadata: StampMetadata = {
  artist: '김하나 <Hana & "Co">',
  artistId: 'art_1',
  style: 'Ink Wash',
  styleId: 'sty_9',
  generationId: 'gen_42',
  license: 'commercial',
  seed: 1234567,
};
const provenance = testSigner();

async function decode(bytes: Buffer) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

// The product's signature opacity, pinned here: a change to SIGNATURE_PLACEMENT must fail this test.
const OPACITY = 0.85;
const blended = (sig: number, under: number) => Math.round(sig * OPACITY + under * (1 - OPACITY));

describe('signatureBox', () => {
  it('scales to 18 % of the width and keeps a 2.5 % margin in the bottom-right corner', () => {
    expect(signatureBox(512, 512, 400, 200)).toEqual({ left: 407, top: 453, width: 92, height: 46 });
    expect(signatureBox(1024, 1024, 400, 200)).toEqual({ left: 814, top: 906, width: 184, height: 92 });
    expect(signatureBox(512, 1024, 400, 200)).toEqual({ left: 407, top: 965, width: 92, height: 46 });
    // A tall signature is capped at 18 % of the width in height.
    expect(signatureBox(512, 512, 100, 400)).toEqual({ left: 476, top: 407, width: 23, height: 92 });
  });
});

describe('stampSignature', () => {
  let signature: Buffer;
  beforeAll(async () => {
    signature = await signaturePng();
  });

  for (const [width, height] of [
    [512, 512],
    [1024, 1024],
    [512, 1024],
  ] as const) {
    it(`draws the signature exactly in its box, blended at ${OPACITY} opacity, on ${width}×${height}`, async () => {
      const pixels = gradientRgb(width, height);
      const untouched = Buffer.from(pixels);
      const stamped = await stampSignature({
        image: pixels,
        raw: { width, height },
        signaturePng: signature,
        metadata,
        provenance,
        format: 'png',
      });
      expect(pixels.equals(untouched)).toBe(true); // the caller's buffer is not drawn on
      const box = signatureBox(width, height, 400, 200);
      expect(stamped.signatureBox).toEqual(box);
      expect(stamped).toMatchObject({ width, height, format: 'png', contentType: 'image/png' });

      const out = await decode(stamped.bytes);
      expect(out).toMatchObject({ width, height, channels: 3 });
      const inBox = (x: number, y: number) =>
        x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height;
      // The signature's transparent window, scaled like the signature: x 25..75 %, y 25..75 % of the box.
      // Within `d` px of the window (d < 0: that far inside it). Resampling softens its edge; skip a 3 px ring.
      const window = (x: number, y: number, d: number) =>
        x >= box.left + box.width / 4 - d &&
        x < box.left + (3 * box.width) / 4 + d &&
        y >= box.top + box.height / 4 - d &&
        y < box.top + (3 * box.height) / 4 + d;

      let outside = 0;
      let opaque = 0;
      let clear = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 3;
          const got = [out.data[i], out.data[i + 1], out.data[i + 2]];
          const under = [untouched[i]!, untouched[i + 1]!, untouched[i + 2]!];
          if (!inBox(x, y)) {
            if (got.some((v, c) => v !== under[c]))
              throw new Error(`pixel (${x},${y}) outside the box changed`);
            outside++;
          } else if (window(x, y, -3)) {
            expect(got, `window pixel (${x},${y})`).toEqual(under);
            clear++;
          } else if (!window(x, y, 3)) {
            const want = [
              blended(SIGNATURE_COLOUR.r, under[0]!),
              blended(SIGNATURE_COLOUR.g, under[1]!),
              blended(SIGNATURE_COLOUR.b, under[2]!),
            ];
            for (let c = 0; c < 3; c++) {
              if (Math.abs(got[c]! - want[c]!) > 1)
                throw new Error(`pixel (${x},${y}) is ${got.join(',')} not ${want.join(',')}`);
            }
            opaque++;
          }
        }
      }
      expect(outside).toBe(width * height - box.width * box.height);
      expect(opaque).toBeGreaterThan(box.width * box.height * 0.3);
      expect(clear).toBeGreaterThan(0);
      // The box's corner pixels are signature, not background: the rectangle is exactly where it should be.
      for (const [x, y] of [
        [box.left, box.top],
        [box.left + box.width - 1, box.top + box.height - 1],
      ] as const) {
        const i = (y * width + x) * 3;
        expect(out.data[i]).toBe(blended(SIGNATURE_COLOUR.r, untouched[i]!));
      }
    });
  }

  it('embeds metadata as XMP in a PNG text chunk and reads it back', async () => {
    const stamped = await stampSignature({
      image: await encodedImage('jpeg', 512, 512),
      signaturePng: signature,
      metadata,
      provenance,
      format: 'png',
    });
    expect(await readStampMetadata(stamped.bytes)).toEqual({ ...metadata, seed: '1234567' });
    // libvips writes the packet as a compressed text chunk: keyword, NUL, method 0, zlib data.
    const keyword = 'XML:com.adobe.xmp\0\0';
    const chunk = pngChunks(stamped.bytes).find(
      (c) => c.type === 'zTXt' && c.data.toString('latin1').startsWith(keyword),
    );
    expect(inflateSync(chunk!.data.subarray(keyword.length)).toString('utf8')).toContain(
      'sl:generationId="gen_42"',
    );
    const { xmpAsString } = await sharp(stamped.bytes).metadata();
    expect(xmpAsString).toContain(
      '<dc:creator><rdf:Seq><rdf:li>김하나 &lt;Hana &amp; &quot;Co&quot;&gt;</rdf:li>',
    );
  });

  it('signs encoded input and WebP output: metadata survives, the signature shows', async () => {
    const jpeg = await encodedImage('jpeg', 512, 512);
    const stamped = await stampSignature({
      image: jpeg,
      signaturePng: signature,
      metadata,
      provenance,
      format: 'webp',
    });
    expect(stamped.bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(stamped.contentType).toBe('image/webp');
    expect((await readStampMetadata(stamped.bytes))?.generationId).toBe('gen_42');

    const before = await decode(
      await sharp(jpeg)
        .raw()
        .toBuffer()
        .then((data) =>
          sharp(data, { raw: { width: 512, height: 512, channels: 3 } })
            .png()
            .toBuffer(),
        ),
    );
    const after = await decode(stamped.bytes);
    const box = stamped.signatureBox;
    // Mean red over a solid strip of the signature (its top rows), against the expected blend; WebP is lossy.
    let got = 0;
    let want = 0;
    let n = 0;
    for (let y = box.top + 2; y < box.top + box.height / 4 - 2; y++) {
      for (let x = box.left + 2; x < box.left + box.width - 2; x++) {
        const i = (y * 512 + x) * 3;
        got += after.data[i]!;
        want += blended(SIGNATURE_COLOUR.r, before.data[i]!);
        n++;
      }
    }
    expect(Math.abs(got / n - want / n)).toBeLessThan(4);
  });

  it('returns null for images it did not sign', async () => {
    expect(await readStampMetadata(await encodedImage('png', 64, 64))).toBeNull();
  });

  it('caches each signature per size instead of decoding it again', async () => {
    clearSignatureCache();
    const run = (width: number) =>
      stampSignature({
        image: gradientRgb(width, width),
        raw: { width, height: width },
        signaturePng: signature,
        metadata,
        provenance,
        format: 'png',
      });
    await Promise.all([run(512), run(512)]);
    expect(signatureCacheSize()).toBe(1);
    await run(512);
    expect(signatureCacheSize()).toBe(1);
    await run(1024);
    expect(signatureCacheSize()).toBe(2);
    await stampSignature({
      image: gradientRgb(512, 512),
      raw: { width: 512, height: 512 },
      signaturePng: signature,
      signatureKey: 'signatures/art_1.png@etag1',
      metadata,
      provenance,
      format: 'png',
    });
    expect(signatureCacheSize()).toBe(3);
  });

  it('refuses bad input with typed errors', async () => {
    await expect(
      stampSignature({
        image: new Uint8Array(10),
        raw: { width: 512, height: 512 },
        signaturePng: signature,
        metadata,
        provenance,
        format: 'png',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'raw_size_mismatch' } });
    await expect(
      stampSignature({
        image: Buffer.from('nope'),
        signaturePng: signature,
        metadata,
        provenance,
        format: 'png',
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_IMAGE_FORMAT',
    });
    await expect(
      stampSignature({
        image: gradientRgb(512, 512),
        raw: { width: 512, height: 512 },
        signaturePng: signature.subarray(0, 100),
        metadata,
        provenance,
        format: 'png',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'corrupt' } });
  });
});
