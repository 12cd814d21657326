import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useTRPC } from '../trpc';

// Streams resume after the last event id seen; '0' asks for everything still buffered, so a quick
// worker's first report is not missed between submitting and subscribing.
const FROM_THE_START = '0';
const FINAL = new Set(['completed', 'failed']);

/** One of my generations as it runs: status and percent live over SSE, then the signed image. */
export function GenerationProgress({ generationId }: { generationId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = trpc.generations.byId.queryOptions({ generationId });
  const generation = useQuery(detail);
  const finished = generation.data ? FINAL.has(generation.data.status) : false;
  const live = useSubscription(
    trpc.generations.onProgress.subscriptionOptions(
      { generationId, lastEventId: FROM_THE_START },
      {
        enabled: !finished,
        onData: ({ data }) => {
          // The final state carries the signed image URL and the refund: read the generation again.
          if (FINAL.has(data.status)) void queryClient.invalidateQueries({ queryKey: detail.queryKey });
        },
      },
    ),
  );
  const g = generation.data;
  const status = (finished ? g?.status : live.data?.data.status) ?? g?.status ?? 'queued';
  const percent = finished ? null : (live.data?.data.progress?.percent ?? g?.owner?.progress?.percent ?? 0);
  return (
    <section aria-live="polite" className="space-y-2 rounded-xl border border-gray-200 bg-white p-4">
      <p data-testid="generation-status" data-status={status} className="font-medium">
        {t('progress.status', { status: t(`status.${status}` as MessageKey) })}
      </p>
      {percent !== null ? (
        <div>
          <progress
            className="w-full"
            max={100}
            value={percent}
            aria-label={t('progress.percent', { percent })}
          />
          <span className="text-sm text-gray-700">{t('progress.percent', { percent })}</span>
        </div>
      ) : null}
      {g?.status === 'completed' && g.resultUrl ? (
        <>
          <p className="text-green-800">{t('progress.done')}</p>
          <Link to={`/g/${g.id}`}>
            <img
              src={g.resultUrl}
              alt={g.promptTags.join(', ')}
              width={g.width}
              height={g.height}
              className="w-full rounded-lg"
            />
          </Link>
          {g.owner ? <PublicToggle generationId={g.id} isPublic={g.owner.isPublic} /> : null}
        </>
      ) : null}
      {g?.status === 'failed' ? (
        <p role="alert" className="text-red-800">
          {t('progress.failed', { message: g.owner?.failure?.message ?? '' })}{' '}
          {g.owner?.refunded ? t('progress.refunded') : null}
        </p>
      ) : null}
    </section>
  );
}

/**
 * The owner decides whether a finished image is shown on the public feed. The box answers the click
 * at once (a controlled input would otherwise snap back until the mutation re-renders) and keeps
 * that answer until the generation has been read again; a refused change falls back to the server's.
 */
export function PublicToggle({ generationId, isPublic }: { generationId: string; isPublic: boolean }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [chosen, setChosen] = useState<boolean | null>(null);
  const update = useMutation(
    trpc.generations.update.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.generations.pathKey() }),
    }),
  );
  return (
    <label className="flex items-center gap-2 text-sm">
      <input
        type="checkbox"
        checked={chosen ?? isPublic}
        onChange={(event) => {
          const next = event.target.checked;
          setChosen(next);
          update.mutate({ generationId, isPublic: next }, { onSettled: () => setChosen(null) });
        }}
      />
      {t('progress.public')}
    </label>
  );
}
