// One style as a page shows it: the public card, its sample artworks and counts, and for the
// owning artist (or an admin) the training state.
import {
  DomainError,
  type LicenseType,
  type TrainingProgress,
  type TrainingStatus,
} from '@stylelicense/contracts';
import type { AppDeps } from '../deps';
import { downloadUrl } from '../common/media';
import type { Viewer } from '../common/viewer';
import { tagsOf } from './tags';
import { latestTrainingSamples, type TrainingSampleView } from './training-samples';

export type Deps = Pick<AppDeps, 'db' | 'storage' | 'events' | 'config'>;
const SAMPLE_ARTWORKS = 6;

export interface StyleView {
  id: string;
  name: string;
  description: string;
  thumbnailUrl: string | null;
  licenseType: LicenseType;
  generationCostTokens: number;
  validFrom: Date;
  validTo: Date | null;
  trainingStatus: TrainingStatus;
  isActive: boolean;
  artist: {
    id: string;
    artistName: string;
    username: string;
    profileImage: string | null;
    followerCount: number;
  };
  tags: string[];
  samples: Array<{ id: string; imageUrl: string | null; caption: string; width: number; height: number }>;
  stats: { usageCount: number; publicGenerations: number };
  createdAt: Date;
  /** Only for the owning artist and admins. */
  owner: {
    progress: TrainingProgress | null;
    modelPath: string | null;
    metrics: unknown;
    failure: unknown;
    isFlagged: boolean;
    /** One picture per epoch of the latest training run. */
    trainingSamples: TrainingSampleView[];
  } | null;
}

/** Listed styles (trained, active, unflagged) for everyone; any of their own for the artist; all for admins. */
export async function getStyle(
  deps: Deps,
  viewer: Viewer | null,
  { styleId }: { styleId: string },
): Promise<StyleView> {
  const style = await deps.db.style.findUnique({
    where: { id: styleId },
    include: {
      artist: {
        select: {
          artistName: true,
          followerCount: true,
          user: { select: { id: true, username: true, profileImage: true } },
        },
      },
      artworks: { where: { isValid: true }, orderBy: { sequence: 'asc' }, take: SAMPLE_ARTWORKS },
    },
  });
  const own = !!style && !!viewer && (viewer.userId === style.artistId || viewer.role === 'admin');
  const listed = !!style && style.trainingStatus === 'completed' && style.isActive && !style.isFlagged;
  if (!style || (!own && !listed)) throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId });
  const [tags, publicGenerations] = await Promise.all([
    tagsOf(deps.db, 'style', [style.id]),
    deps.db.generation.count({ where: { styleId, isPublic: true, isHidden: false, status: 'completed' } }),
  ]);
  return {
    id: style.id,
    name: style.name,
    description: style.description,
    thumbnailUrl: await downloadUrl(deps.storage, style.thumbnail),
    licenseType: style.licenseType,
    generationCostTokens: style.generationCostTokens,
    validFrom: style.validFrom,
    validTo: style.validTo,
    trainingStatus: style.trainingStatus,
    isActive: style.isActive,
    artist: {
      id: style.artistId,
      artistName: style.artist.artistName,
      username: style.artist.user.username,
      profileImage: style.artist.user.profileImage,
      followerCount: style.artist.followerCount,
    },
    tags: tags.get(style.id) ?? [],
    samples: await Promise.all(
      style.artworks.map(async (a) => ({
        id: a.id,
        imageUrl: await downloadUrl(deps.storage, a.image),
        caption: a.caption,
        width: a.width,
        height: a.height,
      })),
    ),
    stats: { usageCount: style.usageCount, publicGenerations },
    createdAt: style.createdAt,
    owner: own
      ? {
          progress:
            style.trainingStatus === 'training' ? (style.trainingProgress as TrainingProgress | null) : null,
          modelPath: style.modelPath,
          metrics: style.trainingMetric,
          failure: style.trainingError,
          isFlagged: style.isFlagged,
          trainingSamples: await latestTrainingSamples(deps, style.id),
        }
      : null,
  };
}
