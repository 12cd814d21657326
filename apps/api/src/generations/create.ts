import { randomInt } from 'node:crypto';
import {
  ASPECT_RATIOS,
  DomainError,
  generationJobSchema,
  type AspectRatio,
  type DomainEvent,
} from '@stylelicense/contracts';
import { withTransaction, type AspectRatio as DbAspectRatio } from '@stylelicense/db';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import { publishAll } from '../messaging/events';
import { uuidv7 } from '../common/ids';
import { holdForGeneration } from '../tokens/ledger';
import { enqueueOutboxMessage } from '../messaging/outbox';
import { linkGenerationTags, normalizeTags } from '../styles/tags';
import type { Viewer } from '../common/viewer';
import { getGeneration, type Deps, type GenerationView } from './generations';

const TO_DB_ASPECT: Record<AspectRatio, DbAspectRatio> = {
  '1:1': 'square',
  '2:2': 'squareLarge',
  '1:2': 'portrait',
};

export interface CreateGenerationInput {
  styleId: string;
  promptTags: string[];
  description?: string;
  aspectRatio: AspectRatio;
  /** The price per image the client showed the buyer. */
  expectedCost: number;
  seed?: number;
}

/**
 * Submits a generation: the style must be trained, active, unflagged and within its licence
 * period (STYLE_NOT_READY otherwise) and still cost what the client showed (PRICE_CHANGED
 * otherwise). One transaction writes the generation, takes the tokens (INSUFFICIENT_TOKENS, never
 * below zero), links the prompt tags and queues the job in the outbox.
 */
export async function createGeneration(
  deps: Deps,
  viewer: Viewer,
  input: CreateGenerationInput,
): Promise<GenerationView> {
  const promptTags = normalizeTags(input.promptTags);
  if (promptTags.length === 0)
    throw new DomainError('VALIDATION_ERROR', 'Give at least one prompt tag.', { field: 'promptTags' });
  const style = await deps.db.style.findUnique({
    where: { id: input.styleId },
    select: {
      id: true,
      name: true,
      trainingStatus: true,
      isActive: true,
      isFlagged: true,
      validFrom: true,
      validTo: true,
      modelPath: true,
      generationCostTokens: true,
      licenseType: true,
      artist: { select: { userId: true, artistName: true, signatureImage: true } },
    },
  });
  if (!style) throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId: input.styleId });
  const now = new Date();
  const ready =
    style.trainingStatus === 'completed' &&
    style.isActive &&
    !style.isFlagged &&
    style.modelPath &&
    style.validFrom <= now &&
    (!style.validTo || style.validTo > now);
  if (!ready) {
    throw new DomainError('STYLE_NOT_READY', 'This style cannot be used right now.', {
      styleId: style.id,
      trainingStatus: style.trainingStatus,
    });
  }
  assertPriceAgreed(style.id, style.generationCostTokens, input.expectedCost);
  const generationId = uuidv7();
  const seed = input.seed ?? randomInt(0, 2 ** 32 - 1);
  const { width, height } = ASPECT_RATIOS[input.aspectRatio];
  const job = generationJobSchema.parse({
    v: 1,
    generationId,
    styleId: style.id,
    userId: viewer.userId,
    loraModelKey: style.modelPath,
    promptTags,
    description: input.description?.trim() || null,
    aspectRatio: input.aspectRatio,
    width,
    height,
    seed,
    steps: deps.config.GENERATION_STEPS,
    guidance: deps.config.GENERATION_GUIDANCE,
    attempt: 1,
    signatureKey: style.artist.signatureImage,
    artistName: style.artist.artistName,
    styleName: style.name,
    licenseType: style.licenseType,
    requestedAt: now.toISOString(),
  });
  await withTransaction(deps.db, async (tx) => {
    // The price read above may have changed since; a share lock makes an artist's price update wait
    // for this purchase to commit, so the buyer pays exactly the price agreed here.
    const [locked] = await tx.$queryRaw<Array<{ generation_cost_tokens: number }>>`
      SELECT generation_cost_tokens FROM styles WHERE id = ${style.id}::uuid FOR SHARE`;
    assertPriceAgreed(style.id, locked?.generation_cost_tokens ?? 0, input.expectedCost);
    await tx.generation.create({
      data: {
        id: generationId,
        userId: viewer.userId,
        styleId: style.id,
        aspectRatio: TO_DB_ASPECT[input.aspectRatio],
        seed: BigInt(seed),
        consumedTokens: style.generationCostTokens,
        description: input.description?.trim() ?? '',
      },
    });
    await holdForGeneration(tx, {
      userId: viewer.userId,
      generationId,
      styleId: style.id,
      amount: style.generationCostTokens,
    });
    await linkGenerationTags(tx, generationId, promptTags);
    await enqueueOutboxMessage(tx, {
      destination: JOB_QUEUES.generation,
      payload: job,
      messageId: generationId,
      headers: { [ATTEMPT_HEADER]: 1 },
    });
  });
  const event: DomainEvent = {
    v: 1,
    type: 'generation.updated',
    ownerId: viewer.userId,
    generationId,
    status: 'queued',
    progress: null,
    occurredAt: now.toISOString(),
  };
  await publishAll(deps.events, [event]);
  return getGeneration(deps, viewer, { generationId });
}

function assertPriceAgreed(styleId: string, currentCost: number, expectedCost: number): void {
  if (currentCost === expectedCost) return;
  throw new DomainError(
    'PRICE_CHANGED',
    `This style now costs ${currentCost} tokens per image, not ${expectedCost}.`,
    { styleId, expectedCost, currentCost },
  );
}
