// A dataset with one distinctive look: a dominant warm orange hue with diagonal stripes (each
// image its own stripe phase, width and grain), and colour statistics to measure closeness to it.
import type { Artwork } from '../src';

export const LOOK = { r: 0.92, g: 0.45, b: 0.12 };

export function lookArtworks(count: number, size: number, caption: string): Artwork[] {
  return Array.from({ length: count }, (_, k) => {
    const plane = size * size;
    const pixels = new Float32Array(3 * plane);
    let s = 1234 + k * 77;
    const grain = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    };
    const period = 6 + (k % 4) * 2;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const stripe = Math.sin(((x + y + k * 3) / period) * 2 * Math.PI) * 0.12;
        const n = grain() * 0.08;
        const i = y * size + x;
        pixels[i] = (LOOK.r + stripe + n) * 2 - 1;
        pixels[plane + i] = (LOOK.g + stripe + n) * 2 - 1;
        pixels[2 * plane + i] = (LOOK.b + stripe + n) * 2 - 1;
      }
    return { pixels, width: size, height: size, caption };
  });
}

/** Per-channel mean and standard deviation of RGB bytes (interleaved), on a 0–1 scale. */
export function colourStats(rgb: Uint8Array): number[] {
  const n = rgb.length / 3;
  const stats: number[] = [];
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = rgb[i * 3 + c]! / 255;
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    stats.push(mean, Math.sqrt(Math.max(0, sq / n - mean * mean)));
  }
  return stats;
}

/** Euclidean distance between two colour-statistics vectors (means and deviations of R, G, B). */
export function statsDistance(a: readonly number[], b: readonly number[]): number {
  return Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
}
