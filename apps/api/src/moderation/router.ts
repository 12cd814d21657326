import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { adminProcedure, router } from '../trpc/init';
import { closeReportOnly, deactivateUser, setStyleFlag } from './actions';
import { setCommentHidden, setGenerationModerationHidden } from './hiding';
import { listAuditLog } from './audit';
import { listOpenReports } from './queue';
import { REPORT_TARGETS } from './reports.router';

/** Every action says why (the note is shown to the people affected) and may answer a report. */
const action = z.object({ note: z.string().trim().min(1).max(2000), reportId: z.uuid().optional() });
const closing = z.object({ reportId: z.uuid(), note: z.string().trim().min(1).max(2000) });

/** Admins only: the report queue, the actions, the audit log. */
export const moderationRouter = router({
  queue: adminProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listOpenReports(ctx.deps, ctx.viewer, input)),
  flagStyle: adminProcedure
    .input(action.extend({ styleId: z.uuid() }))
    .mutation(({ ctx, input }) => setStyleFlag(ctx.deps, ctx.viewer, { ...input, flagged: true })),
  unflagStyle: adminProcedure
    .input(action.extend({ styleId: z.uuid() }))
    .mutation(({ ctx, input }) => setStyleFlag(ctx.deps, ctx.viewer, { ...input, flagged: false })),
  hideGeneration: adminProcedure
    .input(action.extend({ generationId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      setGenerationModerationHidden(ctx.deps, ctx.viewer, { ...input, hidden: true }),
    ),
  unhideGeneration: adminProcedure
    .input(action.extend({ generationId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      setGenerationModerationHidden(ctx.deps, ctx.viewer, { ...input, hidden: false }),
    ),
  hideComment: adminProcedure
    .input(action.extend({ commentId: z.uuid() }))
    .mutation(({ ctx, input }) => setCommentHidden(ctx.deps, ctx.viewer, { ...input, hidden: true })),
  unhideComment: adminProcedure
    .input(action.extend({ commentId: z.uuid() }))
    .mutation(({ ctx, input }) => setCommentHidden(ctx.deps, ctx.viewer, { ...input, hidden: false })),
  deactivateUser: adminProcedure
    .input(action.extend({ userId: z.uuid() }))
    .mutation(({ ctx, input }) => deactivateUser(ctx.deps, ctx.viewer, input)),
  resolveReport: adminProcedure
    .input(closing)
    .mutation(({ ctx, input }) => closeReportOnly(ctx.deps, ctx.viewer, { ...input, status: 'resolved' })),
  dismissReport: adminProcedure
    .input(closing)
    .mutation(({ ctx, input }) => closeReportOnly(ctx.deps, ctx.viewer, { ...input, status: 'dismissed' })),
  auditLog: adminProcedure
    .input(
      paginationInput.extend({
        targetType: z.enum(REPORT_TARGETS).optional(),
        targetId: z.uuid().optional(),
      }),
    )
    .query(({ ctx, input }) => listAuditLog(ctx.deps, ctx.viewer, input)),
});
