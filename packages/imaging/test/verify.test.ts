import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImageType, verifyArtwork, verifySignatureImage } from '../src';
import { encodedImage, signaturePng, solidRgba, withClaimedPngSize } from './fixtures';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  const error = (await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )) as { name: string; code: string; details?: { reason?: unknown } };
  expect(error.name).toBe('DomainError');
  return { code: error.code, reason: error.details?.reason };
}

describe('sniffImageType', () => {
  it('reads the magic bytes, not the name', async () => {
    expect(sniffImageType(await encodedImage('jpeg', 8, 8))).toBe('jpeg');
    expect(sniffImageType(await encodedImage('png', 8, 8))).toBe('png');
    expect(sniffImageType(await encodedImage('webp', 8, 8))).toBe('webp');
    expect(sniffImageType(await encodedImage('gif', 8, 8))).toBe('other');
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('other');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8]))).toBe('other');
    expect(sniffImageType(new Uint8Array(0))).toBe('other');
  });
});

describe('verifyArtwork', () => {
  it('accepts JPEG and PNG of at least 512×512 and reports format, size and bytes', async () => {
    const jpeg = await encodedImage('jpeg', 640, 512);
    expect(await verifyArtwork(jpeg)).toEqual({
      format: 'jpeg',
      width: 640,
      height: 512,
      bytes: jpeg.length,
    });
    const png = await encodedImage('png', 512, 700);
    expect(await verifyArtwork(png)).toEqual({ format: 'png', width: 512, height: 700, bytes: png.length });
  });

  it('judges a PNG renamed .jpg by its bytes, and refuses other types whatever their name', async () => {
    const tempDir = await makeTempDir('imaging');
    const dir = tempDir.path;
    try {
      await writeFile(path.join(dir, 'photo.jpg'), await encodedImage('png', 600, 600));
      expect((await verifyArtwork(await readFile(path.join(dir, 'photo.jpg')))).format).toBe('png');
      await writeFile(path.join(dir, 'art.png'), await encodedImage('webp', 600, 600));
      expect(await rejection(verifyArtwork(await readFile(path.join(dir, 'art.png'))))).toEqual({
        code: 'INVALID_IMAGE_FORMAT',
        reason: 'unsupported_type',
      });
    } finally {
      await tempDir.remove();
    }
    for (const bytes of [
      await encodedImage('gif', 64, 64),
      await encodedImage('tiff', 600, 600),
      Buffer.from('hello'),
    ]) {
      expect((await rejection(verifyArtwork(bytes))).code).toBe('INVALID_IMAGE_FORMAT');
    }
  });

  it('refuses images under 512 px on either side', async () => {
    expect(await rejection(verifyArtwork(await encodedImage('png', 511, 900)))).toEqual({
      code: 'IMAGE_RESOLUTION_TOO_LOW',
      reason: 'resolution_too_low',
    });
    expect((await rejection(verifyArtwork(await encodedImage('jpeg', 900, 500)))).code).toBe(
      'IMAGE_RESOLUTION_TOO_LOW',
    );
  });

  it('measures resolution after EXIF rotation', async () => {
    const rotated = await sharp(await encodedImage('jpeg', 700, 520))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    expect(await verifyArtwork(rotated)).toMatchObject({ width: 520, height: 700 });
  });

  it('refuses more than 10 MB (checked before decoding) and pixel bombs', async () => {
    const noise = await sharp({
      create: {
        width: 2000,
        height: 1800,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 80 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(await rejection(verifyArtwork(noise))).toEqual({
      code: 'IMAGE_SIZE_EXCEEDED',
      reason: 'too_many_bytes',
    });

    const bomb = withClaimedPngSize(await encodedImage('png', 600, 600), 30_000, 30_000);
    expect(await rejection(verifyArtwork(bomb))).toEqual({
      code: 'IMAGE_SIZE_EXCEEDED',
      reason: 'too_many_pixels',
    });
  });

  it('refuses damaged images as INVALID_IMAGE_FORMAT', async () => {
    const jpeg = await encodedImage('jpeg', 800, 800);
    const png = await encodedImage('png', 800, 800);
    for (const damaged of [
      jpeg.subarray(0, Math.floor(jpeg.length / 2)),
      png.subarray(0, Math.floor(png.length / 2)),
      Buffer.concat([png.subarray(0, 8), Buffer.alloc(200, 7)]),
      withClaimedPngSize(png, 1600, 1600), // header fine, data too short for it
    ]) {
      expect(await rejection(verifyArtwork(damaged))).toEqual({
        code: 'INVALID_IMAGE_FORMAT',
        reason: 'corrupt',
      });
    }
  });
});

describe('verifySignatureImage', () => {
  it('accepts a PNG with transparency within the limits, 8 or 16 bits per channel', async () => {
    const png = await signaturePng();
    expect(await verifySignatureImage(png)).toEqual({ width: 400, height: 200, bytes: png.length });
    const deep = await sharp(png).toColourspace('rgb16').png().toBuffer();
    expect(await verifySignatureImage(deep)).toMatchObject({ width: 400, height: 200 });
  });

  it('refuses with VALIDATION_ERROR and a reason for each rule', async () => {
    const cases: [Buffer, string][] = [
      [
        await sharp(await signaturePng())
          .jpeg()
          .toBuffer(),
        'not_png',
      ],
      [
        await sharp(await signaturePng())
          .webp({ lossless: true })
          .toBuffer(),
        'not_png',
      ],
      [await encodedImage('png', 300, 100), 'no_alpha'],
      [await solidRgba(300, 100, 1), 'fully_opaque'],
      [
        await sharp(await solidRgba(300, 100, 1))
          .toColourspace('rgb16')
          .png()
          .toBuffer(),
        'fully_opaque',
      ],
      [await solidRgba(300, 100, 0), 'fully_transparent'],
      [await signaturePng(60, 100), 'dimensions'],
      [await signaturePng(2100, 100), 'dimensions'],
      [(await signaturePng()).subarray(0, 300), 'corrupt'],
    ];
    for (const [bytes, reason] of cases) {
      expect(await rejection(verifySignatureImage(bytes)), reason).toEqual({
        code: 'VALIDATION_ERROR',
        reason,
      });
    }
    const huge = await sharp({
      create: {
        width: 1000,
        height: 800,
        channels: 4,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 80 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(huge.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(await rejection(verifySignatureImage(huge))).toEqual({
      code: 'VALIDATION_ERROR',
      reason: 'too_many_bytes',
    });
  });
});
