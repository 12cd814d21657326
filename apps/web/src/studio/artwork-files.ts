/** SPEC.md: 10–100 JPG or PNG images, each at most 10 MB and at least 512×512. */
export const ARTWORK_RULES = { min: 10, max: 100, maxBytes: 10 * 1024 * 1024, minSide: 512 } as const;

export type ArtworkType = 'image/png' | 'image/jpeg';

/** Why a picked file cannot be used, as a message key with its values. */
export type Refusal =
  | { reason: 'empty' }
  | { reason: 'notImage' }
  | { reason: 'tooLarge'; megabytes: number }
  | { reason: 'tooSmall'; width: number; height: number }
  | { reason: 'unreadable' }
  | { reason: 'tooMany'; max: number }
  | { reason: 'duplicate' }
  | { reason: 'server'; message: string };

export interface CheckedFile {
  file: File;
  type: ArtworkType;
}

/** The type by the first bytes, as the API sniffs it: the file name and the browser's guess are ignored. */
async function sniff(file: File): Promise<ArtworkType | null> {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.every((byte, i) => head[i] === byte)) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  return null;
}

async function sizeOf(file: File): Promise<{ width: number; height: number } | null> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return null;
  }
}

/** The checks the API repeats on the uploaded bytes, made before anything is sent. */
export async function checkArtwork(file: File): Promise<CheckedFile | Refusal> {
  if (file.size === 0) return { reason: 'empty' };
  const type = await sniff(file);
  if (!type) return { reason: 'notImage' };
  if (file.size > ARTWORK_RULES.maxBytes)
    return { reason: 'tooLarge', megabytes: Math.round((file.size / 1024 / 1024) * 10) / 10 };
  const size = await sizeOf(file);
  if (!size) return { reason: 'unreadable' };
  if (size.width < ARTWORK_RULES.minSide || size.height < ARTWORK_RULES.minSide)
    return { reason: 'tooSmall', ...size };
  return { file, type };
}
