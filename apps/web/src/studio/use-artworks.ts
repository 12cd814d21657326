import { useCallback, useRef, useState } from 'react';
import type { PickedArtwork } from '../components/artwork-picker';
import { ARTWORK_RULES, checkArtwork, type Refusal } from './artwork-files';
import { uploadFile, UploadRefused, type PresignedUpload } from './upload';

const PARALLEL_UPLOADS = 3;

/**
 * The picked artworks: each checked by its bytes as it arrives (a file past the 100th usable one is
 * refused as one too many), then sent to its presigned URL a few at a time with its progress.
 */
export function useArtworks() {
  const [artworks, setArtworks] = useState<PickedArtwork[]>([]);
  const nextId = useRef(0);
  const patch = useCallback((id: number, change: Partial<PickedArtwork>) => {
    setArtworks((all) => all.map((a) => (a.id === id ? { ...a, ...change } : a)));
  }, []);

  const add = useCallback((files: File[]) => {
    const picked = files.map((file) => ({
      id: nextId.current++,
      file,
      state: 'checking' as const,
      loaded: 0,
    }));
    setArtworks((all) => [...all, ...picked]);
    for (const artwork of picked) {
      void checkArtwork(artwork.file).then((checked) =>
        setArtworks((all) => {
          if ('reason' in checked)
            return all.map((a) => (a.id === artwork.id ? { ...a, state: 'refused', refusal: checked } : a));
          const usable = all.filter((a) => a.state === 'ready').length;
          const same = all.some(
            (a) =>
              a.state === 'ready' &&
              a.file.name === artwork.file.name &&
              a.file.size === artwork.file.size &&
              a.file.lastModified === artwork.file.lastModified,
          );
          const refusal: Refusal | null = same
            ? { reason: 'duplicate' }
            : usable >= ARTWORK_RULES.max
              ? { reason: 'tooMany', max: ARTWORK_RULES.max }
              : null;
          return all.map((a) =>
            a.id !== artwork.id
              ? a
              : refusal
                ? { ...a, state: 'refused', refusal }
                : { ...a, state: 'ready', type: checked.type },
          );
        }),
      );
    }
  }, []);

  const remove = useCallback((id: number) => setArtworks((all) => all.filter((a) => a.id !== id)), []);

  /** Marks a file refused (by storage or by the API's check of its bytes). */
  const refuse = useCallback(
    (id: number, message: string) => patch(id, { state: 'refused', refusal: { reason: 'server', message } }),
    [patch],
  );

  /** Sends `ready[i]` to `uploads[i]`; resolves true when every file arrived, false when one was refused. */
  const upload = useCallback(
    async (ready: PickedArtwork[], uploads: PresignedUpload[]): Promise<boolean> => {
      // A second try sends every file again: its bars start over.
      const sending = new Set(ready.map((a) => a.id));
      setArtworks((all) => all.map((a) => (sending.has(a.id) ? { ...a, loaded: 0 } : a)));
      let next = 0;
      let allSent = true;
      const worker = async () => {
        while (next < ready.length) {
          const i = next++;
          const artwork = ready[i]!;
          try {
            await uploadFile(uploads[i]!, artwork.file, (loaded) => patch(artwork.id, { loaded }));
          } catch (error) {
            if (!(error instanceof UploadRefused)) throw error;
            refuse(artwork.id, error.message);
            allSent = false;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, ready.length) }, worker));
      return allSent;
    },
    [patch, refuse],
  );

  return { artworks, add, remove, refuse, upload };
}
