import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ApiKeys } from '../components/api-keys';
import { ArtistUpgrade } from '../components/artist-upgrade';
import { GenerationCard } from '../components/generation-card';
import { MyStyles } from '../components/my-styles';
import { ProfileForm } from '../components/profile-form';
import { ProfilePicture, ReplaceSignature } from '../components/profile-pictures';
import { StyleCard } from '../components/style-card';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { FollowButton } from '../components/follow-button';
import { useTRPC } from '../trpc';

/**
 * A person: who they are, public stats, their styles (artists) and public images. On your own
 * profile, the form that edits it and your API keys.
 */
export function ProfilePage() {
  const { userId = '' } = useParams();
  const { t, language } = useI18n();
  const trpc = useTRPC();
  const profile = useQuery(trpc.users.byId.queryOptions({ userId }));
  const viewer = useSession().data?.user;
  const own = viewer?.id === userId;
  const signedIn = Boolean(viewer);
  if (profile.isPending) return <Loading />;
  if (profile.error) return <ErrorNote error={profile.error} />;
  const p = profile.data;
  const stats: Array<[string, number]> = [
    [t('profile.generations'), p.stats.generations],
    [t('profile.publicGenerations'), p.stats.publicGenerations],
    [t('profile.following'), p.stats.following],
    ...(p.artist ? [[t('profile.followers'), p.artist.followerCount] as [string, number]] : []),
  ];
  return (
    <article className="space-y-6">
      <header className="flex items-center gap-4">
        <Avatar name={p.username} image={p.profileImage} />
        <div className="min-w-0 space-y-1">
          <h1 className="text-2xl font-bold break-all">{p.username}</h1>
          {p.artist ? (
            <p className="text-gray-800">{t('profile.artist', { name: p.artist.artistName })}</p>
          ) : null}
          <p className="text-sm text-gray-700">
            {t('profile.joined', { date: p.createdAt.toLocaleDateString(language) })}
          </p>
        </div>
      </header>
      {signedIn && !own ? <FollowButton userId={p.id} username={p.username} /> : null}
      {p.bio ? <p className="whitespace-pre-line text-gray-800">{p.bio}</p> : null}
      <section aria-labelledby="profile-stats">
        <h2 id="profile-stats" className="sr-only">
          {t('profile.stats')}
        </h2>
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
          {stats.map(([label, value]) => (
            <div key={label} className="rounded-lg border border-gray-200 bg-white p-3 text-center">
              <dt className="text-sm text-gray-700">{label}</dt>
              <dd className="text-xl font-semibold">{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      {own ? <ProfileForm username={p.username} bio={p.bio ?? ''} /> : null}
      {own ? <ProfilePicture userId={p.id} /> : null}
      {own && p.artist ? (
        <Link
          to="/studio/new"
          className="inline-block rounded-lg bg-indigo-700 px-4 py-2 font-semibold text-white"
        >
          {t('artist.newStyle')}
        </Link>
      ) : null}
      {own && !p.artist ? <ArtistUpgrade /> : null}
      {own ? <ApiKeys /> : null}
      {own && p.artist ? <MyStyles /> : null}
      {own && p.artist ? <ReplaceSignature /> : null}
      {!own && p.artist ? <ArtistStyles artistId={p.id} /> : null}
      <PublicImages authorId={p.id} />
    </article>
  );
}

function Avatar({ name, image }: { name: string; image: string | null }) {
  if (image)
    return <img src={image} alt="" width={64} height={64} className="h-16 w-16 rounded-full bg-gray-100" />;
  return (
    <span
      aria-hidden="true"
      className="flex h-16 w-16 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-2xl font-bold text-indigo-800"
    >
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

function ArtistStyles({ artistId }: { artistId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const styles = useInfiniteQuery(
    trpc.styles.list.infiniteQueryOptions(
      { artistId, limit: 12 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = styles.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t('profile.styles')}</h2>
      {styles.error ? <ErrorNote error={styles.error} /> : null}
      {styles.data && items.length === 0 ? <p className="text-gray-700">{t('common.empty')}</p> : null}
      <ul className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {items.map((style) => (
          <li key={style.id}>
            <StyleCard style={style} />
          </li>
        ))}
      </ul>
      <LoadMore query={styles} />
    </section>
  );
}

function PublicImages({ authorId }: { authorId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const images = useInfiniteQuery(
    trpc.generations.feed.infiniteQueryOptions(
      { authorId, limit: 12 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = images.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t('profile.images')}</h2>
      {images.error ? <ErrorNote error={images.error} /> : null}
      {images.data && items.length === 0 ? <p className="text-gray-700">{t('profile.noImages')}</p> : null}
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {items.map((generation) => (
          <GenerationCard key={generation.id} generation={generation} />
        ))}
      </div>
      <LoadMore query={images} />
    </section>
  );
}

function LoadMore({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
}) {
  const { t } = useI18n();
  if (!query.hasNextPage) return null;
  return (
    <button
      type="button"
      disabled={query.isFetchingNextPage}
      onClick={() => void query.fetchNextPage()}
      className="rounded bg-gray-200 px-4 py-2 text-gray-800"
    >
      {t('common.loadMore')}
    </button>
  );
}
