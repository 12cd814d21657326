// How far a fused graph's outputs are from the plain graph's for the same inputs: the checks the
// CPU test and the GPU bench both apply.

/** Largest |a − b| over two equally long tensors, and the largest |a| (the scale it compares to). */
export function maxAbsDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { maxAbsDiff: number; maxAbs: number } {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} ≠ ${b.length}`);
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    // NaN must fail a comparison, not vanish from it.
    if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
  }
  return { maxAbsDiff, maxAbs };
}

/** Peak signal-to-noise ratio of two 8-bit images in dB; Infinity when they are identical. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} ≠ ${b.length}`);
  let squared = 0;
  for (let i = 0; i < a.length; i++) squared += (a[i]! - b[i]!) ** 2;
  const mse = squared / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}
