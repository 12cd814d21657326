import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PublicToggle } from './generation-progress';
import { DescriptionField } from './price-license';
import { ErrorNote } from './status';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

/** On my own image's page: whether it is on the public feed, and the description shown with it. */
export function OwnerControls({
  generationId,
  isPublic,
  description,
}: {
  generationId: string;
  isPublic: boolean;
  description: string;
}) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(description);
  const save = useMutation(
    trpc.generations.update.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.generations.pathKey() }),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ generationId, description: draft.trim() });
  };
  return (
    <section
      aria-labelledby="owner-controls"
      className="space-y-2 rounded-xl border border-gray-200 bg-white p-4"
    >
      <h2 id="owner-controls" className="text-lg font-semibold">
        {t('owner.title')}
      </h2>
      <PublicToggle generationId={generationId} isPublic={isPublic} />
      <form onSubmit={submit} className="space-y-2">
        <DescriptionField
          id="generation-description"
          label={t('owner.description')}
          value={draft}
          onChange={setDraft}
        />
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded-lg bg-indigo-700 px-4 py-2 text-white disabled:opacity-50"
        >
          {t('owner.save')}
        </button>
        {save.isSuccess ? (
          <p role="status" className="text-sm text-green-800">
            {t('owner.saved')}
          </p>
        ) : null}
        {save.error ? <ErrorNote error={save.error} /> : null}
      </form>
    </section>
  );
}
