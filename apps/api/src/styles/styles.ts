import { DomainError, trainingJobSchema, type LicenseType } from '@stylelicense/contracts';
import { Prisma, withTransaction } from '@stylelicense/db';
import { storageKeys } from '@stylelicense/storage';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import { uuidv7 } from '../common/ids';
import { enqueueOutboxMessage } from '../messaging/outbox';
import { assertImageCount, assertOwnUpload, deleteStaged, verifyStagedArtworks } from './uploads';
import { linkArtworkTags, linkStyleTags, nameTagsOf, normalizeTags } from './tags';
import type { Viewer } from '../common/viewer';
import { getStyle, type Deps, type StyleView } from './style-view';

export interface CreateStyleInput {
  uploadId: string;
  name: string;
  description: string;
  generationCostTokens: number;
  licenseType: LicenseType;
  tags: string[];
  validTo?: Date | null;
  artworks: Array<{ index: number; caption?: string; tags?: string[] }>;
}

/**
 * Creates a style from staged uploads: every image is verified by its bytes, copied into the
 * style's training folder, and the style, its artworks, tags (the style name included, on the style
 * and every artwork) and the training job (outbox) are written in ONE transaction. The staging
 * folder is removed afterwards; on failure, the copies are.
 */
export async function createStyle(deps: Deps, viewer: Viewer, input: CreateStyleInput): Promise<StyleView> {
  assertOwnUpload(input.uploadId, viewer.userId);
  assertImageCount(input.artworks.length);
  if (input.validTo) assertValidAfter(new Date(), input.validTo);
  const indexes = input.artworks.map((a) => a.index);
  if (new Set(indexes).size !== indexes.length)
    throw new DomainError('VALIDATION_ERROR', 'Each image may be used once.', { field: 'artworks' });
  const name = input.name.trim().replace(/\s+/g, ' ');
  const nameTags = nameTagsOf(name);
  const styleTags = normalizeTags([...nameTags, ...input.tags]);
  const artworks = input.artworks.map((a) => ({
    ...a,
    id: uuidv7(),
    tags: normalizeTags([...nameTags, ...(a.tags ?? [])]),
  }));
  const artist = await deps.db.artist.findUnique({
    where: { userId: viewer.userId },
    select: { artistName: true },
  });
  if (!artist) throw new DomainError('ARTIST_ONLY', 'Complete your artist profile first.');
  await assertCanCreate(deps, viewer.userId, name);

  const verified = await verifyStagedArtworks(deps.storage, input.uploadId, indexes);
  const styleId = uuidv7();
  const trainingKey = (n: number) => storageKeys.trainingImage(styleId, n);
  await Promise.all(
    artworks.map((a, n) => deps.storage.copy(storageKeys.upload(input.uploadId, a.index), trainingKey(n))),
  );
  const job = trainingJobSchema.parse({
    v: 1,
    jobId: styleId,
    styleId,
    artistId: viewer.userId,
    styleName: name,
    styleTags,
    artworks: artworks.map((a, n) => ({
      artworkId: a.id,
      imageKey: trainingKey(n),
      caption: a.caption?.trim() || null,
      tags: a.tags,
    })),
    attempt: 1,
    requestedAt: new Date().toISOString(),
  });
  try {
    await withTransaction(deps.db, async (tx) => {
      // Serialises one artist's creations, so the limit and the unique name are checked race-free.
      await tx.$queryRaw`SELECT 1 FROM artists WHERE user_id = ${viewer.userId}::uuid FOR UPDATE`;
      await assertCanCreate({ ...deps, db: tx as unknown as Deps['db'] }, viewer.userId, name);
      await tx.style.create({
        data: {
          id: styleId,
          artistId: viewer.userId,
          name,
          description: input.description.trim(),
          thumbnail: trainingKey(0),
          licenseType: input.licenseType,
          generationCostTokens: input.generationCostTokens,
          validTo: input.validTo ?? null,
        },
      });
      await tx.artwork.createMany({
        data: artworks.map((a, n) => ({
          id: a.id,
          styleId,
          image: trainingKey(n),
          caption: a.caption?.trim() ?? '',
          width: verified.get(a.index)!.width,
          height: verified.get(a.index)!.height,
          sequence: n + 1,
        })),
      });
      await linkStyleTags(tx, styleId, styleTags);
      await linkArtworkTags(
        tx,
        artworks.map((a) => ({ artworkId: a.id, tags: a.tags })),
      );
      await enqueueOutboxMessage(tx, {
        destination: JOB_QUEUES.training,
        payload: job,
        messageId: styleId,
        headers: { [ATTEMPT_HEADER]: 1 },
      });
    });
  } catch (error) {
    await deleteStaged(deps.storage, storageKeys.trainingPrefix(styleId));
    // The artist's row lock makes the check above decisive; the index is the last word all the same.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
      throw nameTaken(name);
    throw error;
  }
  await deleteStaged(deps.storage, storageKeys.uploadPrefix(input.uploadId));
  return getStyle(deps, viewer, { styleId });
}

async function assertCanCreate(
  deps: Pick<Deps, 'db' | 'config'>,
  artistId: string,
  name: string,
): Promise<void> {
  const limit = deps.config.STYLE_LIMIT_PER_ARTIST;
  if (limit > 0 && (await deps.db.style.count({ where: { artistId } })) >= limit) {
    throw new DomainError('STYLE_LIMIT_REACHED', `An artist may own at most ${limit} style(s).`, { limit });
  }
  // Whatever its case, as styles_artist_id_name_lower_key has it.
  const same = await deps.db.$queryRaw<Array<{ name: string }>>`
    SELECT name FROM styles WHERE artist_id = ${artistId}::uuid AND lower(name) = lower(${name})`;
  if (same.length > 0) throw nameTaken(same[0]!.name);
}

const nameTaken = (name: string) =>
  new DomainError('CONFLICT', `You already have a style named "${name}".`, { field: 'name' });

export interface UpdateStyleInput {
  styleId: string;
  description?: string;
  generationCostTokens?: number;
  licenseType?: LicenseType;
  isActive?: boolean;
  validTo?: Date | null;
}

/** The owner (or an admin) edits price, description, licence and activity once training completed; never the name. */
export async function updateStyle(
  deps: Deps,
  viewer: Viewer,
  { styleId, ...changes }: UpdateStyleInput,
): Promise<StyleView> {
  const style = await ownStyle(deps, viewer, styleId);
  if (style.trainingStatus === 'failed') {
    throw new DomainError('STYLE_NOT_READY', 'This style failed training; it cannot be edited.', {
      trainingStatus: style.trainingStatus,
    });
  }
  if (changes.validTo) assertValidAfter(style.validFrom, changes.validTo);
  if (style.trainingStatus !== 'completed') {
    throw new DomainError('TRAINING_IN_PROGRESS', 'A style can be edited once its training has completed.', {
      trainingStatus: style.trainingStatus,
    });
  }
  await deps.db.style.update({
    where: { id: styleId },
    data: {
      ...(changes.description !== undefined ? { description: changes.description.trim() } : {}),
      ...(changes.generationCostTokens !== undefined
        ? { generationCostTokens: changes.generationCostTokens }
        : {}),
      ...(changes.licenseType !== undefined ? { licenseType: changes.licenseType } : {}),
      ...(changes.isActive !== undefined ? { isActive: changes.isActive } : {}),
      ...(changes.validTo !== undefined ? { validTo: changes.validTo } : {}),
    },
  });
  return getStyle(deps, viewer, { styleId });
}

/** Styles are never deleted (generations refer to them): deactivating takes one off the market. */
export async function deactivateStyle(
  deps: Deps,
  viewer: Viewer,
  { styleId }: { styleId: string },
): Promise<StyleView> {
  await ownStyle(deps, viewer, styleId);
  await deps.db.style.update({ where: { id: styleId }, data: { isActive: false } });
  return getStyle(deps, viewer, { styleId });
}

/** A licence period ends after it starts (the database's check, answered as the field's error). */
function assertValidAfter(validFrom: Date, validTo: Date): void {
  if (validTo > validFrom) return;
  throw new DomainError('VALIDATION_ERROR', 'The licence must end after it starts.', {
    field: 'validTo',
    validFrom: validFrom.toISOString(),
  });
}

async function ownStyle(deps: Deps, viewer: Viewer, styleId: string) {
  const style = await deps.db.style.findUnique({
    where: { id: styleId },
    select: { artistId: true, trainingStatus: true, validFrom: true },
  });
  if (!style || (style.artistId !== viewer.userId && viewer.role !== 'admin'))
    throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId });
  return style;
}
