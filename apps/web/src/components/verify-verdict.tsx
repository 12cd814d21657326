import { useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { Fragment, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { AppRouter } from '@stylelicense/api';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useTRPC } from '../trpc';

export type VerifyResult = inferRouterOutputs<AppRouter>['provenance']['verify'];

const VERDICTS: Record<
  VerifyResult['status'],
  { title: MessageKey; body: MessageKey; tone: string; icon: string }
> = {
  verified: {
    title: 'verify.verified',
    body: 'verify.verifiedBody',
    tone: 'border-green-300 bg-green-50 text-green-950',
    icon: '✓',
  },
  changed: {
    title: 'verify.changed',
    body: 'verify.changedBody',
    tone: 'border-amber-300 bg-amber-50 text-amber-950',
    icon: '!',
  },
  not_ours: {
    title: 'verify.notOurs',
    body: 'verify.notOursBody',
    tone: 'border-red-300 bg-red-50 text-red-950',
    icon: '✕',
  },
  unsigned: {
    title: 'verify.unsigned',
    body: 'verify.unsignedBody',
    tone: 'border-gray-300 bg-gray-50 text-gray-950',
    icon: '?',
  },
};

const LICENSES: Record<string, MessageKey> = {
  personal: 'license.personal',
  commercial: 'license.commercial',
  exclusive: 'license.exclusive',
};

/** The verdict in one sentence, then what our manifest says made the image. */
export function VerifyVerdict({ result }: { result: VerifyResult }) {
  const { t } = useI18n();
  const verdict = VERDICTS[result.status];
  return (
    <div
      data-testid="verify-verdict"
      data-status={result.status}
      className={`space-y-3 rounded-xl border p-4 ${verdict.tone}`}
    >
      <h2 className="flex items-center gap-2 text-lg font-semibold">
        <span aria-hidden="true" className="text-xl">
          {verdict.icon}
        </span>
        {t(verdict.title)}
      </h2>
      <p>{t(verdict.body)}</p>
      {result.claims ? <Claims claims={result.claims} /> : null}
    </div>
  );
}

function Claims({ claims }: { claims: NonNullable<VerifyResult['claims']> }) {
  const { t, language } = useI18n();
  const trpc = useTRPC();
  // Readable when the generation is public or the viewer's own; otherwise the manifest still speaks.
  const generation = useQuery({
    ...trpc.generations.byId.queryOptions({ generationId: claims.generationId }),
    retry: false,
  });
  const license = LICENSES[claims.license];
  const rows: Array<[MessageKey, ReactNode]> = [
    [
      'verify.generation',
      generation.data ? (
        <Link to={`/g/${claims.generationId}`} className="underline">
          {t('verify.openGeneration')}
        </Link>
      ) : (
        t('verify.privateGeneration', { id: claims.generationId })
      ),
    ],
    [
      'verify.style',
      claims.style.id ? (
        <Link to={`/styles/${claims.style.id}`} className="underline">
          {claims.style.name}
        </Link>
      ) : (
        claims.style.name
      ),
    ],
    [
      'verify.artist',
      claims.artist.id ? (
        <Link to={`/u/${claims.artist.id}`} className="underline">
          {claims.artist.name}
        </Link>
      ) : (
        claims.artist.name
      ),
    ],
    ['verify.license', license ? t(license) : claims.license],
  ];
  const signedAt = generation.data?.completedAt;
  if (signedAt) rows.push(['verify.signedAt', signedAt.toLocaleString(language)]);
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt className="font-medium">{t(label)}</dt>
          <dd data-testid={label.replace('verify.', 'claim-')} className="break-all">
            {value}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
