import { useState, type DragEvent } from 'react';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { ARTWORK_RULES, type ArtworkType, type Refusal } from '../studio/artwork-files';

/** One picked file: being checked, ready to send (with how much of it storage has), or refused. */
export interface PickedArtwork {
  id: number;
  file: File;
  state: 'checking' | 'ready' | 'refused';
  type?: ArtworkType;
  refusal?: Refusal;
  loaded: number;
}

export function useRefusalText() {
  const { t } = useI18n();
  return (refusal: Refusal) => {
    const { reason, ...values } = refusal;
    return t(`studio.refused.${reason}` as MessageKey, values);
  };
}

const percentOf = (loaded: number, total: number) =>
  total === 0 ? 0 : Math.min(100, Math.round((loaded / total) * 100));

/** Files picked or dropped, each with its upload progress or the reason it was refused, and the total. */
export function ArtworkPicker({
  artworks,
  onFiles,
  onRemove,
  busy,
}: {
  artworks: PickedArtwork[];
  onFiles: (files: File[]) => void;
  onRemove: (id: number) => void;
  busy: boolean;
}) {
  const { t } = useI18n();
  const refusalText = useRefusalText();
  const [over, setOver] = useState(false);
  const ready = artworks.filter((a) => a.state === 'ready');
  const total = ready.reduce((sum, a) => sum + a.file.size, 0);
  const loaded = ready.reduce((sum, a) => sum + a.loaded, 0);
  const totalPercent = percentOf(loaded, total);
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (!busy) onFiles([...event.dataTransfer.files]);
  };
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium">{t('studio.artworks')}</legend>
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        data-testid="artwork-drop"
        className={`rounded-lg border-2 border-dashed p-4 text-center ${over ? 'border-indigo-600 bg-indigo-50' : 'border-gray-300'}`}
      >
        <p className="text-sm text-gray-700">
          {t('studio.artworksHint', {
            min: ARTWORK_RULES.min,
            max: ARTWORK_RULES.max,
            side: ARTWORK_RULES.minSide,
          })}
        </p>
        <label className="mt-2 inline-block cursor-pointer rounded bg-gray-200 px-3 py-1 text-gray-800">
          {t('studio.pick')}
          <input
            type="file"
            multiple
            accept="image/png,image/jpeg"
            disabled={busy}
            className="sr-only"
            onChange={(event) => {
              onFiles([...(event.target.files ?? [])]);
              event.target.value = '';
            }}
          />
        </label>
      </div>
      <p data-testid="artwork-count" className="text-sm text-gray-800">
        {t('studio.count', { count: ready.length, max: ARTWORK_RULES.max })}
      </p>
      {ready.length > 0 ? (
        <div>
          <progress
            className="w-full"
            max={100}
            value={totalPercent}
            aria-label={t('studio.totalProgress', { percent: totalPercent })}
          />
          <span data-testid="upload-total" className="text-sm text-gray-700">
            {t('studio.totalProgress', { percent: totalPercent })}
          </span>
        </div>
      ) : null}
      <ul className="max-h-96 space-y-1 overflow-y-auto">
        {artworks.map((artwork) => (
          <li
            key={artwork.id}
            data-testid="artwork-file"
            data-state={artwork.state}
            className="flex items-center gap-2 text-sm"
          >
            <span className="w-40 shrink-0 truncate" title={artwork.file.name}>
              {artwork.file.name}
            </span>
            {artwork.state === 'refused' && artwork.refusal ? (
              <span role="alert" className="grow text-red-800">
                {refusalText(artwork.refusal)}
              </span>
            ) : (
              <progress
                className="grow"
                max={100}
                value={percentOf(artwork.loaded, artwork.file.size)}
                aria-label={t('studio.fileProgress', {
                  name: artwork.file.name,
                  percent: percentOf(artwork.loaded, artwork.file.size),
                })}
              />
            )}
            <button
              type="button"
              disabled={busy}
              aria-label={t('studio.remove', { name: artwork.file.name })}
              onClick={() => onRemove(artwork.id)}
              className="rounded px-2 text-gray-800 hover:bg-gray-200"
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
