import { queryRows } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { viewerStateQuery } from './queries';

/** The viewer's own marks on a page's generations and people: what makes their page theirs. */
export interface ViewerState {
  liked: ReadonlySet<string>;
  followed: ReadonlySet<string>;
}

const NOTHING: ViewerState = { liked: new Set(), followed: new Set() };

/**
 * Which of `generationIds` the viewer likes and which of `userIds` they follow, read afresh on every
 * call (never cached: a like or follow shows on the viewer's next page at once). One statement, none
 * for a page with nothing on it.
 */
export async function readViewerState(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { generationIds = [], userIds = [] }: { generationIds?: string[]; userIds?: string[] },
): Promise<ViewerState> {
  if (generationIds.length === 0 && userIds.length === 0) return NOTHING;
  const rows = await queryRows<{ kind: 'like' | 'follow'; id: string }>(
    db,
    'viewer.state',
    viewerStateQuery(viewer.userId, [...new Set(generationIds)], [...new Set(userIds)]),
  );
  const liked = new Set<string>();
  const followed = new Set<string>();
  for (const row of rows) (row.kind === 'like' ? liked : followed).add(row.id);
  return { liked, followed };
}

// The overlays below work alike on a page and on its JSON form (the shared page serialized once):
// they read ids, set booleans and copy what they change.

/** `isLiked` on each generation of a page, as the viewer's likes say. */
export function markLiked<P extends { items: ReadonlyArray<{ id: string; isLiked: boolean }> }>(
  page: P,
  liked: ReadonlySet<string>,
): P {
  return { ...page, items: page.items.map((g) => ({ ...g, isLiked: liked.has(g.id) })) };
}

/** `isFollowed` on each artist of a page of styles, as the viewer's follows say. */
export function markFollowedArtists<
  P extends { items: ReadonlyArray<{ artist: { id: string; isFollowed: boolean } }> },
>(page: P, followed: ReadonlySet<string>): P {
  return {
    ...page,
    items: page.items.map((s) => ({ ...s, artist: { ...s.artist, isFollowed: followed.has(s.artist.id) } })),
  };
}
