/**
 * Where and how the signature goes on every result (SPEC: fixed position,
 * size and opacity). Fractions of the image width, so a 512² and a 1024²
 * image look alike:
 * - the signature is scaled to 18 % of the image width (its height follows
 *   its aspect ratio, capped at 18 % of the width for very tall signatures);
 * - it sits in the bottom-right corner, 2.5 % of the width from both edges;
 * - it is drawn at 85 % opacity (times its own alpha).
 */
export const SIGNATURE_PLACEMENT = {
  widthFraction: 0.18,
  maxHeightFraction: 0.18,
  marginFraction: 0.025,
  opacity: 0.85,
} as const;

export interface SignatureBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The exact pixel rectangle the signature covers on an image of the given size. */
export function signatureBox(
  imageWidth: number,
  imageHeight: number,
  signatureWidth: number,
  signatureHeight: number,
): SignatureBox {
  const { widthFraction, maxHeightFraction, marginFraction } = SIGNATURE_PLACEMENT;
  let width = Math.max(1, Math.round(imageWidth * widthFraction));
  let height = Math.max(1, Math.round((signatureHeight * width) / signatureWidth));
  const maxHeight = Math.max(1, Math.round(imageWidth * maxHeightFraction));
  if (height > maxHeight) {
    height = maxHeight;
    width = Math.max(1, Math.round((signatureWidth * height) / signatureHeight));
  }
  const margin = Math.round(imageWidth * marginFraction);
  return { left: imageWidth - margin - width, top: imageHeight - margin - height, width, height };
}
