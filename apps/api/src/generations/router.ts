import { aspectRatioSchema, DomainError, generationStatusSchema } from '@stylelicense/contracts';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { authorizedStream, topicOf } from '../messaging/events';
import { cancelGeneration } from './cancel';
import { feedOverlay, listFeed } from './feed';
import { createGeneration } from './create';
import { getGeneration, listMyGenerations, updateGeneration } from './generations';
import { paginationInput } from '../common/pagination';
import { forgetPublicReads, publicRead } from '../trpc/public-cache';
import { tagListInput } from '../styles/tags';
import { authedProcedure, generationRateLimit, publicProcedure, router } from '../trpc/init';

const generationIdInput = z.object({ generationId: z.uuid() });

export const generationsRouter = router({
  create: authedProcedure
    .use(generationRateLimit)
    .input(
      z.object({
        styleId: z.uuid(),
        promptTags: tagListInput(50).min(1),
        description: z.string().max(2000).optional(),
        aspectRatio: aspectRatioSchema,
        /** The price per image the client showed; the buyer is never charged anything else. */
        expectedCost: z.int().min(1).max(10_000),
        seed: z
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => createGeneration(ctx.deps, ctx.viewer, input)),
  byId: publicProcedure
    .input(generationIdInput)
    .query(({ ctx, input }) => getGeneration(ctx.deps, ctx.viewer, input)),
  mine: authedProcedure
    .input(
      paginationInput.extend({
        status: generationStatusSchema.optional(),
        visibility: z.enum(['public', 'private', 'hidden', 'visible', 'all']).default('visible'),
      }),
    )
    .query(({ ctx, input }) => listMyGenerations(ctx.deps, ctx.viewer, input)),
  feed: publicProcedure
    .input(
      paginationInput.extend({
        sort: z.enum(['recent', 'popular']).default('recent'),
        tags: tagListInput(10).optional(),
        /** Only this person's public generations (their profile). */
        authorId: z.uuid().optional(),
      }),
    )
    .query(({ ctx, input }) =>
      publicRead(
        ctx,
        `generations.feed:${JSON.stringify(input)}`,
        () => listFeed(ctx.deps, null, input),
        (page, viewer) => feedOverlay(ctx.deps, viewer, page),
      ),
    ),
  update: authedProcedure
    .input(
      z.strictObject({
        generationId: z.uuid(),
        isPublic: z.boolean().optional(),
        isHidden: z.boolean().optional(),
        description: z.string().max(2000).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const updated = await updateGeneration(ctx.deps, ctx.viewer, input);
      // Publishing or withdrawing shows on the owner's next feed page at once.
      if (input.isPublic !== undefined || input.isHidden !== undefined)
        forgetPublicReads(ctx, 'generations.feed:');
      return updated;
    }),
  /** Stops my queued or running generation and refunds its tokens. */
  cancel: authedProcedure
    .input(generationIdInput)
    .mutation(({ ctx, input }) => cancelGeneration(ctx.deps, ctx.viewer, input)),
  /** Status and progress of one of my generations as it runs (SSE); resumable with the last event id. */
  onProgress: authedProcedure
    .input(generationIdInput.extend({ lastEventId: z.string().max(64).nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const topic = topicOf({ type: 'generation.updated', ownerId: ctx.viewer.userId });
      const ownGeneration = async () => {
        const generation = await getGeneration(ctx.deps, ctx.viewer, input);
        if (generation.author.id !== ctx.viewer.userId)
          throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.');
      };
      for await (const { id, event } of authorizedStream(
        ctx.deps.events,
        topic,
        { fromId: input.lastEventId, signal },
        ownGeneration,
      )) {
        if (event.type === 'generation.updated' && event.generationId === input.generationId)
          yield tracked(id, event);
      }
    }),
});
