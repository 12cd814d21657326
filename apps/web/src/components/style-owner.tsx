import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';
import { PriceAndLicense, StyleDescription, type License } from './price-license';
import { ErrorNote } from './status';
import { TrainingStatus, type StyleView } from './training-status';

/** What only the style's owner sees: training, the pictures each epoch drew, and (once trained) the edit form. */
export function StyleOwnerPanel({ style }: { style: StyleView }) {
  return (
    <div className="space-y-4">
      <TrainingStatus style={style} />
      <TrainingSamples style={style} />
      {style.trainingStatus === 'completed' ? <StyleEditForm style={style} /> : null}
    </div>
  );
}

function TrainingSamples({ style }: { style: StyleView }) {
  const { t } = useI18n();
  const samples = style.owner?.trainingSamples ?? [];
  if (samples.length === 0) return null;
  return (
    <section aria-labelledby="training-samples" className="space-y-2">
      <h2 id="training-samples" className="text-lg font-semibold">
        {t('training.samples')}
      </h2>
      {/* Focusable so the strip scrolls from the keyboard too. */}
      <ol tabIndex={0} aria-labelledby="training-samples" className="flex gap-3 overflow-x-auto pb-2">
        {samples.map((sample) => (
          <li key={sample.epoch} className="w-32 shrink-0 space-y-1" data-testid="training-sample">
            <img
              src={sample.imageUrl}
              alt={t('training.sampleAlt', { epoch: sample.epoch, prompt: sample.prompt })}
              width={128}
              height={128}
              loading="lazy"
              className="aspect-square w-32 rounded-lg bg-gray-100 object-cover"
            />
            <p className="text-xs text-gray-700">{t('training.epochShort', { epoch: sample.epoch })}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Price, description, licence and whether it is offered: editable once training completed; the name never. */
function StyleEditForm({ style }: { style: StyleView }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [description, setDescription] = useState(style.description);
  const [price, setPrice] = useState(style.generationCostTokens);
  const [license, setLicense] = useState<License>(style.licenseType);
  const [isActive, setIsActive] = useState(style.isActive);
  const update = useMutation(
    trpc.styles.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.styles.pathKey() }),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({
      styleId: style.id,
      description: description.trim(),
      generationCostTokens: price,
      licenseType: license,
      isActive,
    });
  };
  return (
    <form
      onSubmit={submit}
      aria-labelledby="style-edit"
      className="space-y-3 rounded-xl border border-gray-200 bg-white p-4"
    >
      <h2 id="style-edit" className="text-lg font-semibold">
        {t('studio.edit')}
      </h2>
      <StyleDescription value={description} onChange={setDescription} />
      <PriceAndLicense price={price} onPrice={setPrice} license={license} onLicense={setLicense} />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={isActive} onChange={(event) => setIsActive(event.target.checked)} />
        {t('studio.active')}
      </label>
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={update.isPending}
          className="rounded-lg bg-indigo-700 px-4 py-2 font-semibold text-white"
        >
          {t('studio.save')}
        </button>
        {update.isSuccess ? (
          <p role="status" className="text-sm text-green-800">
            {t('studio.saved')}
          </p>
        ) : null}
      </div>
      {update.error ? <ErrorNote error={update.error} /> : null}
    </form>
  );
}
