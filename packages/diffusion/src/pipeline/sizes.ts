import { DiffusionError } from './errors';

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
