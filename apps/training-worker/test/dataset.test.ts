import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LowQualityDataError,
  pickBucket,
  prepareDataset,
  type AcceptedArtwork,
  type ArtworkRecord,
} from '../src/index';

/** A solid-colour image in any format sharp writes. */
function solid(width: number, height: number, rgb: [number, number, number]) {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

const RED: [number, number, number] = [220, 20, 20];
const BLUE: [number, number, number] = [20, 20, 220];

/** Stored 1200×700 with red on top and blue below, tagged EXIF orientation 6 (display rotated 90° clockwise). */
async function rotatedJpeg(): Promise<Uint8Array> {
  const raw = await solid(1200, 700, BLUE)
    .composite([{ input: await solid(1200, 350, RED).png().toBuffer(), top: 0, left: 0 }])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  return raw;
}

async function pixel(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at] as number, data[at + 1] as number, data[at + 2] as number];
}

describe('prepareDataset', () => {
  let tempDir: TempDir;
  let dir: string;
  const objects = new Map<string, Uint8Array>();
  const loadBytes = async (key: string) => {
    const bytes = objects.get(key);
    if (!bytes) throw new Error(`missing object ${key}`);
    return bytes;
  };

  beforeAll(async () => {
    tempDir = await makeTempDir('dataset-test');
    dir = tempDir.path;
    objects.set('rotated.jpg', await rotatedJpeg());
    objects.set('tiny.png', await solid(200, 200, RED).png().toBuffer());
    const good = await solid(800, 800, RED).jpeg().toBuffer();
    objects.set('corrupt.jpg', good.subarray(0, Math.floor(good.byteLength / 2)));
    // 6000×4000 blue with 450-row red bands at top and bottom: a centred crop to 2:1 keeps the
    // middle 3000 rows, so no red survives; a crop anchored anywhere else would keep some.
    const band = await solid(6000, 450, RED).png().toBuffer();
    objects.set(
      'huge.jpg',
      await solid(6000, 4000, BLUE)
        .composite([
          { input: band, top: 0, left: 0 },
          { input: band, top: 3550, left: 0 },
        ])
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    objects.set('png-named.jpg', await solid(700, 640, RED).png().toBuffer());
    objects.set('anim.gif', await solid(600, 600, RED).gif().toBuffer());
    objects.set('oversized.png', new Uint8Array(10 * 1024 * 1024 + 1).fill(7, 8));
    for (let i = 0; i < 10; i++) objects.set(`plain-${i}.jpg`, await solid(640, 512, BLUE).jpeg().toBuffer());
  });
  afterAll(async () => {
    await tempDir.remove();
  });

  const artwork = (id: string, storageKey: string, tags: string[] = [], caption?: string): ArtworkRecord => ({
    id,
    storageKey,
    tags,
    caption,
  });

  it('orients, buckets, crops, captions and rejects each artwork the way a user would expect', async () => {
    const artworks = [
      artwork('rotated', 'rotated.jpg', ['Harbour', ' Night Sky '], 'A quiet harbour at dusk'),
      artwork('tiny', 'tiny.png'),
      artwork('corrupt', 'corrupt.jpg'),
      artwork('huge', 'huge.jpg', ['ink']),
      artwork('png-named', 'png-named.jpg'),
      artwork('gif', 'anim.gif'),
      artwork('oversized', 'oversized.png'),
      ...Array.from({ length: 10 }, (_, i) => artwork(`plain-${i}`, `plain-${i}.jpg`, ['moonlit ink'])),
    ];
    const datasetDir = join(dir, 'ok');
    const dataset = await prepareDataset({ styleName: 'Moonlit Ink', artworks, loadBytes, datasetDir });

    // 13 usable images → ceil(200 / 13) = 16 repeats in the kohya folder name.
    expect(dataset.numRepeats).toBe(16);
    expect(dataset.imageDir).toBe(join(datasetDir, '16_moonlit_ink'));
    expect(await readdir(datasetDir)).toEqual(['16_moonlit_ink']);
    expect(dataset.results.map((r) => r.artworkId)).toEqual(artworks.map((a) => a.id));
    const byId = new Map(dataset.results.map((r) => [r.artworkId, r]));
    expect(byId.get('tiny')).toMatchObject({ accepted: false, reason: 'too_small' });
    expect(byId.get('corrupt')).toMatchObject({ accepted: false, reason: 'corrupt' });
    expect(byId.get('gif')).toMatchObject({ accepted: false, reason: 'unsupported_format' });
    expect(byId.get('oversized')).toMatchObject({ accepted: false, reason: 'too_large' });
    expect(dataset.accepted).toHaveLength(13);

    // Stored landscape 1200×700 with orientation 6 is an upright 700×1200 portrait: 1:2 bucket,
    // red (stored top) on the right after rotation, blue on the left.
    const rotated = byId.get('rotated') as AcceptedArtwork;
    expect(rotated).toMatchObject({
      sourceWidth: 700,
      sourceHeight: 1200,
      bucket: 'portrait',
      width: 512,
      height: 1024,
    });
    const rotatedMeta = await sharp(rotated.imagePath).metadata();
    expect([rotatedMeta.format, rotatedMeta.width, rotatedMeta.height]).toEqual(['png', 512, 1024]);
    expect(rotatedMeta.exif).toBeUndefined();
    expect(rotatedMeta.orientation).toBeUndefined();
    const left = await pixel(rotated.imagePath, 40, 512);
    const right = await pixel(rotated.imagePath, 470, 512);
    expect(left[2]).toBeGreaterThan(180);
    expect(left[0]).toBeLessThan(60);
    expect(right[0]).toBeGreaterThan(180);
    expect(right[2]).toBeLessThan(60);
    expect(rotated.caption).toBe('moonlit ink, harbour, night sky, A quiet harbour at dusk');
    expect(await readFile(rotated.captionPath, 'utf8')).toBe(rotated.caption);

    // 6000×4000 (3:2) is nearest to 2:1 on a log scale: scaled to cover 1024×512 and centre-cropped.
    const huge = byId.get('huge') as AcceptedArtwork;
    expect(huge).toMatchObject({
      bucket: 'landscape',
      width: 1024,
      height: 512,
      caption: 'moonlit ink, ink',
    });
    const hugeMeta = await sharp(huge.imagePath).metadata();
    expect([hugeMeta.width, hugeMeta.height]).toEqual([1024, 512]);
    for (const y of [1, 510]) expect((await pixel(huge.imagePath, 512, y))[0]).toBeLessThan(60);

    // PNG bytes under a .jpg name are sniffed as PNG and accepted.
    expect(byId.get('png-named')).toMatchObject({ accepted: true, sourceFormat: 'png', bucket: 'square' });
    expect(byId.get('plain-0')).toMatchObject({ caption: 'moonlit ink' });

    // kohya layout: one png + one txt per accepted image, nothing for rejected ones.
    const files = (await readdir(dataset.imageDir)).sort();
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(13);
    expect(files.filter((f) => f.endsWith('.txt'))).toHaveLength(13);
    expect(files).toContain(basename(rotated.imagePath));
    expect(files.some((f) => f.includes('tiny'))).toBe(false);
  });

  it('fails with LOW_QUALITY_DATA and every rejection when fewer than 10 images are usable', async () => {
    const artworks = [
      artwork('tiny', 'tiny.png'),
      artwork('gif', 'anim.gif'),
      ...Array.from({ length: 8 }, (_, i) => artwork(`plain-${i}`, `plain-${i}.jpg`)),
    ];
    const error = await prepareDataset({
      styleName: 'Sparse',
      artworks,
      loadBytes,
      datasetDir: join(dir, 'sparse'),
      numRepeats: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LowQualityDataError);
    const failure = error as LowQualityDataError;
    expect(failure.code).toBe('LOW_QUALITY_DATA');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      'only 8 of 10 images are usable for training (at least 10 needed); rejected: 1 too_small, 1 unsupported_format',
    );
    expect(failure.results.filter((r) => !r.accepted).map((r) => r.artworkId)).toEqual(['tiny', 'gif']);
  });

  it('lets a storage failure propagate instead of calling the artwork bad', async () => {
    await expect(
      prepareDataset({
        styleName: 'Gone',
        artworks: [artwork('a', 'plain-0.jpg'), artwork('missing', 'nope.jpg')],
        loadBytes,
        datasetDir: join(dir, 'gone'),
        numRepeats: 1,
        minImages: 1,
      }),
    ).rejects.toThrow('missing object nope.jpg');
  });
});

describe('pickBucket', () => {
  it.each([
    [512, 512, 'square'],
    [1000, 740, 'square'], // 1.35 < √2
    [1500, 1000, 'landscape'], // 1.5 > √2
    [3000, 1000, 'landscape'],
    [700, 1200, 'portrait'],
    [600, 1000, 'square'], // portrait shape, but 1000 < 1024 would need upscaling
    [900, 520, 'square'], // landscape shape, but 900 < 1024
  ])('%i×%i → %s', (width, height, name) => {
    expect(pickBucket(width, height).name).toBe(name);
  });
});
