import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { useSubscription } from '@trpc/tanstack-react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@stylelicense/api';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useTRPC } from '../trpc';

export type StyleView = inferRouterOutputs<AppRouter>['styles']['byId'];
type Owner = NonNullable<StyleView['owner']>;

// '0' asks for every buffered event: a quick first report is not missed between loading and subscribing.
const FROM_THE_START = '0';
const FINAL = new Set(['completed', 'failed']);

function failureOf(owner: Owner): { code?: string; message?: string } {
  const failure = owner.failure as { code?: unknown; message?: unknown } | null;
  return {
    code: typeof failure?.code === 'string' ? failure.code : undefined,
    message: typeof failure?.message === 'string' ? failure.message : undefined,
  };
}

function etaText(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** The owner's view of training: live percent, epoch and time left; the plain reason when it failed. */
export function TrainingStatus({ style }: { style: StyleView }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = trpc.styles.byId.queryOptions({ styleId: style.id });
  const finished = FINAL.has(style.trainingStatus);
  const lastEpoch = useRef<number | null>(style.owner?.progress?.epoch ?? null);
  const live = useSubscription(
    trpc.styles.onProgress.subscriptionOptions(
      { styleId: style.id, lastEventId: FROM_THE_START },
      {
        enabled: !finished,
        onData: ({ data }) => {
          // The final state carries the thumbnail, metrics or failure, and each new epoch a sample
          // picture: read the style again.
          const epoch = data.progress?.epoch ?? null;
          if (FINAL.has(data.status) || epoch !== lastEpoch.current)
            void queryClient.invalidateQueries({ queryKey: detail.queryKey });
          lastEpoch.current = epoch;
        },
      },
    ),
  );
  // Keep the detail fresh too: the stream only says what changed since it opened.
  useQuery({ ...detail, refetchInterval: finished ? false : 10_000 });
  const event = finished ? null : live.data?.data;
  const status = event?.status ?? style.trainingStatus;
  const progress = event?.progress ?? style.owner?.progress ?? null;
  const failure = style.owner ? failureOf(style.owner) : {};
  return (
    <section
      aria-labelledby="training-title"
      className="space-y-2 rounded-xl border border-gray-200 bg-white p-4"
    >
      <h2 id="training-title" className="text-lg font-semibold">
        {t('training.title')}
      </h2>
      <p data-testid="training-status" data-status={status} className="font-medium" aria-live="polite">
        {t(`training.${status}` as MessageKey)}
      </p>
      {status === 'training' && progress ? (
        <div data-testid="training-progress">
          <progress
            className="w-full"
            max={100}
            value={progress.percent}
            aria-label={t('progress.percent', { percent: progress.percent })}
          />
          <p className="text-sm text-gray-700">
            {t('progress.percent', { percent: progress.percent })}
            {progress.epoch !== null && progress.totalEpochs !== null
              ? ` · ${t('training.epoch', { epoch: progress.epoch, total: progress.totalEpochs })}`
              : ` · ${t('training.step', { step: progress.step, total: progress.totalSteps })}`}
            {progress.etaSeconds !== null
              ? ` · ${t('training.eta', { time: etaText(progress.etaSeconds) })}`
              : null}
          </p>
        </div>
      ) : null}
      {status === 'failed' ? (
        <p role="alert" data-testid="training-failure" className="text-red-800">
          {t('training.failedBecause', { message: failure.message ?? t('training.noReason') })}
          {failure.code ? ` (${failure.code})` : null}
        </p>
      ) : null}
    </section>
  );
}
