import { DiffusionError } from './errors';

/** The product's aspect ratios (SPEC: generations.aspect_ratio) as width × height. */
export const ASPECT_RATIO_SIZES = {
  '1:1': { width: 512, height: 512 },
  '2:2': { width: 1024, height: 1024 },
  '1:2': { width: 512, height: 1024 },
} as const;

export type AspectRatio = keyof typeof ASPECT_RATIO_SIZES;

export function sizeForAspectRatio(ratio: AspectRatio): { width: number; height: number } {
  const size = ASPECT_RATIO_SIZES[ratio];
  if (!size) throw new DiffusionError('INVALID_INPUT', `unknown aspect ratio "${String(ratio)}"`);
  return { ...size };
}

/** Image sides must be multiples of 8 (the VAE's downscale) and at most 2048. */
export function checkImageSize(width: number, height: number): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 8 || value > 2048 || value % 8 !== 0) {
      throw new DiffusionError(
        'INVALID_INPUT',
        `${name} must be a multiple of 8 between 8 and 2048, got ${value}`,
      );
    }
  }
}
