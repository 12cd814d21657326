import { DomainError, licenseTypeSchema, trainingStatusSchema } from '@stylelicense/contracts';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { authorizedStream, topicOf } from '../messaging/events';
import { paginationInput } from '../common/pagination';
import { publicRead } from '../trpc/public-cache';
import { catalogOverlay, listStyles } from './catalog';
import { recommendedTags, styleExamples } from './examples';
import { ARTWORK_CONTENT_TYPES, issueUploadUrls } from './uploads';
import { listMyStyles } from './mine';
import { getStyle } from './style-view';
import { createStyle, deactivateStyle, updateStyle } from './styles';
import { tagListInput } from './tags';
import { artistProcedure, authedProcedure, publicProcedure, router } from '../trpc/init';

const styleIdInput = z.object({ styleId: z.uuid() });
/** Pages with nothing personal in them: every viewer gets the shared one. */
const samePage = <T>(_shared: T) => Promise.resolve((page: T) => page);
const cost = z.int().min(1).max(10_000);
const description = z.string().max(2000);
// Counts are checked by the service so they answer INSUFFICIENT_IMAGES / TOO_MANY_IMAGES; this only bounds the payload.
const imageList = <T extends z.ZodType>(item: T) => z.array(item).max(500);
/** Free text in any language; tags keep their own rules. */
const styleName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((name) => !/\p{Cc}/u.test(name), 'A style name cannot contain control characters.');

export const stylesRouter = router({
  /** Presigned uploads for 10–100 images into the artist's staging area. */
  uploadUrls: artistProcedure
    .input(z.object({ images: imageList(z.object({ contentType: z.enum(ARTWORK_CONTENT_TYPES) })) }))
    .mutation(({ ctx, input }) => issueUploadUrls(ctx.deps, ctx.viewer, input)),
  create: artistProcedure
    .input(
      z.object({
        uploadId: z.string().min(1).max(200),
        name: styleName,
        description,
        generationCostTokens: cost,
        licenseType: licenseTypeSchema,
        tags: tagListInput(20).default([]),
        validTo: z.date().nullish(),
        artworks: imageList(
          z.object({
            // Bounded like the list: a count past 100 answers TOO_MANY_IMAGES, not an index error.
            index: z.int().min(0).max(499),
            caption: z.string().max(1000).optional(),
            tags: tagListInput(20).optional(),
          }),
        ),
      }),
    )
    .mutation(({ ctx, input }) => createStyle(ctx.deps, ctx.viewer, input)),
  list: publicProcedure
    .input(
      paginationInput.extend({
        sort: z.enum(['recent', 'popular']).default('recent'),
        tags: tagListInput(10).optional(),
        artistId: z.uuid().optional(),
        status: trainingStatusSchema.optional(),
        /** Only artists I follow (signed in). */
        followed: z.boolean().optional(),
      }),
    )
    .query(({ ctx, input: { followed, ...input } }) => {
      if (followed) {
        if (!ctx.viewer) throw new DomainError('UNAUTHORIZED', 'Sign in to see the artists you follow.');
        return listStyles(ctx.deps, ctx.viewer, { ...input, followedBy: ctx.viewer.userId });
      }
      // An artist's own styles by training status are theirs alone: never from the shared cache.
      return input.status
        ? listStyles(ctx.deps, ctx.viewer, input)
        : publicRead(
            ctx,
            `styles.list:${JSON.stringify(input)}`,
            () => listStyles(ctx.deps, null, input),
            (page, viewer) => catalogOverlay(ctx.deps, viewer, page),
          );
    }),
  byId: publicProcedure.input(styleIdInput).query(({ ctx, input }) => getStyle(ctx.deps, ctx.viewer, input)),
  /** Published images made with a listed style, most liked first. */
  examples: publicProcedure
    .input(styleIdInput.extend({ limit: z.int().min(1).max(24).default(8) }))
    .query(({ ctx, input }) =>
      publicRead(
        ctx,
        `styles.examples:${JSON.stringify(input)}`,
        () => styleExamples(ctx.deps, input),
        samePage,
      ),
    ),
  /** Prompt tags that worked with a listed style (from its published images), then its own tags. */
  recommendedTags: publicProcedure
    .input(styleIdInput.extend({ limit: z.int().min(1).max(30).default(12) }))
    .query(({ ctx, input }) =>
      publicRead(
        ctx,
        `styles.recommendedTags:${JSON.stringify(input)}`,
        () => recommendedTags(ctx.deps, input),
        samePage,
      ),
    ),
  mine: artistProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listMyStyles(ctx.deps, ctx.viewer, input)),
  update: artistProcedure
    .input(
      z.strictObject({
        styleId: z.uuid(),
        description: description.optional(),
        generationCostTokens: cost.optional(),
        licenseType: licenseTypeSchema.optional(),
        isActive: z.boolean().optional(),
        validTo: z.date().nullish(),
      }),
    )
    .mutation(({ ctx, input }) => updateStyle(ctx.deps, ctx.viewer, input)),
  deactivate: artistProcedure
    .input(styleIdInput)
    .mutation(({ ctx, input }) => deactivateStyle(ctx.deps, ctx.viewer, input)),
  /** Training status and progress of one of my styles (SSE), resumable with the last event id. */
  onProgress: authedProcedure
    .input(styleIdInput.extend({ lastEventId: z.string().max(64).nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const topic = topicOf({ type: 'training.updated', ownerId: ctx.viewer.userId });
      const ownStyle = async () => {
        const style = await getStyle(ctx.deps, ctx.viewer, input);
        if (style.artist.id !== ctx.viewer.userId) throw new DomainError('STYLE_NOT_FOUND', 'No such style.');
      };
      for await (const { id, event } of authorizedStream(
        ctx.deps.events,
        topic,
        { fromId: input.lastEventId, signal },
        ownStyle,
      )) {
        if (event.type === 'training.updated' && event.styleId === input.styleId) yield tracked(id, event);
      }
    }),
});
