/**
 * Aspect buckets for training at the 512 base resolution.
 *
 * Rule: an image goes to the bucket whose aspect ratio is nearest on a log scale, i.e.
 * width/height < 1/√2 → portrait (512×1024), > √2 → landscape (1024×512), otherwise square
 * (512×512). A 1:2 bucket is used only when the image fills it without upscaling (its long side
 * is at least 1024 px); smaller images fall back to the square bucket, which every accepted
 * image (≥ 512×512) fills. The image is then scaled to cover the bucket and centre-cropped.
 */
export type BucketName = 'square' | 'portrait' | 'landscape';

export interface Bucket {
  readonly name: BucketName;
  readonly width: number;
  readonly height: number;
}

export const BASE_RESOLUTION = 512;

export const BUCKETS: Readonly<Record<BucketName, Bucket>> = {
  square: { name: 'square', width: BASE_RESOLUTION, height: BASE_RESOLUTION },
  portrait: { name: 'portrait', width: BASE_RESOLUTION, height: BASE_RESOLUTION * 2 },
  landscape: { name: 'landscape', width: BASE_RESOLUTION * 2, height: BASE_RESOLUTION },
};

/** Picks the bucket for an upright image of `width`×`height` pixels (see the rule above). */
export function pickBucket(width: number, height: number): Bucket {
  const aspect = width / height;
  let bucket = BUCKETS.square;
  if (aspect < Math.SQRT1_2) bucket = BUCKETS.portrait;
  else if (aspect > Math.SQRT2) bucket = BUCKETS.landscape;
  if (width < bucket.width || height < bucket.height) return BUCKETS.square;
  return bucket;
}
