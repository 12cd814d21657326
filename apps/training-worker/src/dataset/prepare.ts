import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import sharp from 'sharp';
import { pickBucket, type BucketName } from './buckets';
import { buildCaption, styleToken } from './caption';
import { isTrainableFormat, sniffImageFormat } from './image-format';
import { repeatsForImageCount } from '../engine/schedule';

/** An artwork row as the training job sees it. */
export interface ArtworkRecord {
  readonly id: string;
  readonly storageKey: string;
  readonly tags: readonly string[];
  readonly caption?: string | null;
}

/** Fetches an artwork's bytes from storage (the worker passes its storage driver here). */
export type LoadArtworkBytes = (storageKey: string, signal?: AbortSignal) => Promise<Uint8Array>;

export type RejectionReason = 'too_small' | 'corrupt' | 'unsupported_format' | 'too_large';

export interface AcceptedArtwork {
  readonly artworkId: string;
  readonly accepted: true;
  readonly sourceFormat: 'jpeg' | 'png';
  /** Upright (EXIF-oriented) size of the original. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly bucket: BucketName;
  readonly width: number;
  readonly height: number;
  readonly imagePath: string;
  readonly captionPath: string;
  readonly caption: string;
}

export interface RejectedArtwork {
  readonly artworkId: string;
  readonly accepted: false;
  readonly reason: RejectionReason;
  readonly detail: string;
}

export type ArtworkPreparation = AcceptedArtwork | RejectedArtwork;

export interface PreparedDataset {
  /** The root to point kohya at (`train_data_dir`); images live in `imageDir`. */
  readonly datasetDir: string;
  /** `<datasetDir>/<numRepeats>_<token>`, the folder layout sd-scripts reads repeats and token from. */
  readonly imageDir: string;
  readonly token: string;
  readonly numRepeats: number;
  /** One entry per input artwork, in input order. */
  readonly results: readonly ArtworkPreparation[];
  readonly accepted: readonly AcceptedArtwork[];
  readonly rejected: readonly RejectedArtwork[];
}

export interface PrepareDatasetOptions {
  readonly styleName: string;
  readonly artworks: readonly ArtworkRecord[];
  readonly loadBytes: LoadArtworkBytes;
  readonly datasetDir: string;
  /** How many times kohya repeats each image per epoch; default from the usable image count (see schedule.ts). */
  readonly numRepeats?: number;
  /** Images prepared at once; default 2 (one per core of a small worker; sharp threads within each). */
  readonly concurrency?: number;
  /** Fewer usable images than this fails the job with LOW_QUALITY_DATA; default 10. */
  readonly minImages?: number;
  readonly signal?: AbortSignal;
}

export const MAX_ARTWORK_BYTES = 10 * 1024 * 1024;
export const MIN_ARTWORK_SIDE = 512;
export const MIN_TRAINING_IMAGES = 10;
// A 100-megapixel ceiling stops decompression bombs well before they exhaust memory.
const MAX_INPUT_PIXELS = 100_000_000;

/** LOW_QUALITY_DATA, carrying every artwork's outcome so the worker can record the rejections. */
export class LowQualityDataError extends JobFailure {
  constructor(
    message: string,
    readonly results: readonly ArtworkPreparation[],
  ) {
    super('LOW_QUALITY_DATA', message);
  }
}

/**
 * Downloads, verifies and normalises a style's artworks into a kohya sd-scripts dataset folder:
 * `<datasetDir>/<repeats>_<token>/<nnn>-<artwork>.png` beside `<same name>.txt` captions.
 * Throws LowQualityDataError when fewer than `minImages` survive; loader errors propagate.
 */
export async function prepareDataset(options: PrepareDatasetOptions): Promise<PreparedDataset> {
  const { styleName, artworks, datasetDir } = options;
  if (
    options.numRepeats !== undefined &&
    (!Number.isSafeInteger(options.numRepeats) || options.numRepeats < 1)
  ) {
    throw new RangeError(`numRepeats must be a positive integer, got ${options.numRepeats}`);
  }
  const token = styleToken(styleName);
  // Repeats (part of the folder name) depend on how many images survive, so images land in a
  // staging folder that is renamed once the count is known.
  const stagingDir = join(datasetDir, `staging_${token}`);
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });

  const staged = await mapBounded(artworks, options.concurrency ?? 2, options.signal, (artwork, index) =>
    prepareArtwork(artwork, index, { ...options, imageDir: stagingDir }),
  );
  const usable = staged.filter((r) => r.accepted).length;
  const minImages = options.minImages ?? MIN_TRAINING_IMAGES;
  if (usable < minImages) {
    const rejected = staged.filter((r): r is RejectedArtwork => !r.accepted);
    throw new LowQualityDataError(
      `only ${usable} of ${artworks.length} images are usable for training (at least ${minImages} needed)` +
        (rejected.length ? `; rejected: ${summarise(rejected)}` : ''),
      staged, // accepted paths point into the staging folder, left for the caller's work-dir cleanup
    );
  }

  const numRepeats = options.numRepeats ?? repeatsForImageCount(usable);
  const imageDir = join(datasetDir, `${numRepeats}_${token}`);
  await rm(imageDir, { recursive: true, force: true });
  await rename(stagingDir, imageDir);
  const results = staged.map((r) =>
    r.accepted
      ? {
          ...r,
          imagePath: join(imageDir, basename(r.imagePath)),
          captionPath: join(imageDir, basename(r.captionPath)),
        }
      : r,
  );
  const accepted = results.filter((r): r is AcceptedArtwork => r.accepted);
  const rejected = results.filter((r): r is RejectedArtwork => !r.accepted);
  return { datasetDir, imageDir, token, numRepeats, results, accepted, rejected };
}

function summarise(rejected: readonly RejectedArtwork[]): string {
  const counts = new Map<RejectionReason, number>();
  for (const r of rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} ${reason}`).join(', ');
}

async function prepareArtwork(
  artwork: ArtworkRecord,
  index: number,
  options: PrepareDatasetOptions & { imageDir: string },
): Promise<ArtworkPreparation> {
  const reject = (reason: RejectionReason, detail: string): RejectedArtwork => ({
    artworkId: artwork.id,
    accepted: false,
    reason,
    detail,
  });
  const bytes = await options.loadBytes(artwork.storageKey, options.signal);
  if (bytes.byteLength > MAX_ARTWORK_BYTES) {
    return reject('too_large', `${bytes.byteLength} bytes exceeds the ${MAX_ARTWORK_BYTES}-byte limit`);
  }
  if (bytes.byteLength === 0) return reject('corrupt', 'the file is empty');
  const format = sniffImageFormat(bytes);
  if (!isTrainableFormat(format))
    return reject('unsupported_format', `${format} images are not accepted (JPEG or PNG only)`);

  // failOn 'error' tolerates harmless warnings but refuses truncated or damaged data.
  const image = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true });
  let width: number;
  let height: number;
  try {
    const metadata = await image.metadata();
    if (metadata.format !== format)
      return reject('corrupt', `bytes start like ${format} but decode as ${metadata.format}`);
    // autoOrient sizes are the upright ones (EXIF orientations 5–8 swap width and height).
    width = metadata.autoOrient.width;
    height = metadata.autoOrient.height;
  } catch (error) {
    return reject('corrupt', `unreadable ${format}: ${(error as Error).message}`);
  }
  if (width * height > MAX_INPUT_PIXELS)
    return reject('too_large', `${width}×${height} exceeds ${MAX_INPUT_PIXELS} pixels`);
  if (width < MIN_ARTWORK_SIDE || height < MIN_ARTWORK_SIDE) {
    return reject('too_small', `${width}×${height} is below ${MIN_ARTWORK_SIDE}×${MIN_ARTWORK_SIDE}`);
  }

  const bucket = pickBucket(width, height);
  const baseName = `${String(index).padStart(3, '0')}-${safeFileName(artwork.id)}`;
  const imagePath = join(options.imageDir, `${baseName}.png`);
  const captionPath = join(options.imageDir, `${baseName}.txt`);
  try {
    // rotate() applies the EXIF orientation; transparency goes onto white; sharp writes no metadata
    // unless asked, so EXIF/ICC/XMP are stripped. Stored (uncompressed) PNG: lossless like any PNG,
    // but encoding costs almost nothing, where deflate doubled the time per image; this is scratch space.
    await image
      .rotate()
      .resize(bucket.width, bucket.height, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .png({ compressionLevel: 0 })
      .toFile(imagePath);
  } catch (error) {
    // Damage past the header surfaces while decoding, after the output file was opened.
    await rm(imagePath, { force: true });
    return reject('corrupt', `could not decode ${format}: ${(error as Error).message}`);
  }
  const caption = buildCaption(options.styleName, artwork.tags, artwork.caption);
  await writeFile(captionPath, caption, 'utf8');
  return {
    artworkId: artwork.id,
    accepted: true,
    sourceFormat: format,
    sourceWidth: width,
    sourceHeight: height,
    bucket: bucket.name,
    width: bucket.width,
    height: bucket.height,
    imagePath,
    captionPath,
    caption,
  };
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 80) || 'artwork';
}

/** Maps with at most `limit` calls in flight; stops starting new work after the first error or abort. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane);
  const settled = await Promise.allSettled(lanes);
  const rejection = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejection) throw rejection.reason;
  return results;
}
