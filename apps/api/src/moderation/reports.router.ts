import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { authedProcedure, router } from '../trpc/init';
import { fileReport, listMyReports } from './reports';

export const REPORT_TARGETS = ['style', 'generation', 'comment', 'user'] as const;
export const REPORT_REASONS = [
  'copies_my_work',
  'ownership_claim',
  'not_licensed',
  'harmful',
  'spam',
  'other',
] as const;

export const reportsRouter = router({
  /** Any signed-in user reports a style, generation, comment or user; one open report per target. */
  create: authedProcedure
    .input(
      z.object({
        targetType: z.enum(REPORT_TARGETS),
        targetId: z.uuid(),
        reason: z.enum(REPORT_REASONS),
        note: z.string().max(2000).optional(),
        evidenceLinks: z
          .array(z.url({ protocol: /^https?$/ }).max(1024))
          .max(10)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => fileReport(ctx.deps, ctx.viewer, input)),
  /** My reports with their status. */
  mine: authedProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listMyReports(ctx.deps, ctx.viewer, input)),
});
