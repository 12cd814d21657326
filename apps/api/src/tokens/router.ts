import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { confirmPurchase } from './purchases';
import { createPurchase, listTransactions, tokenBalance, tokenPackages } from './tokens';
import { authedProcedure, publicProcedure, router } from '../trpc/init';

export const tokensRouter = router({
  balance: authedProcedure.query(({ ctx }) => tokenBalance(ctx.deps, ctx.viewer)),

  /** My ledger entries, newest first, with sender/receiver/style/generation summaries. */
  transactions: authedProcedure
    .input(paginationInput.extend({ type: z.enum(['all', 'purchase', 'generation']).default('all') }))
    .query(({ ctx, input }) => listTransactions(ctx.deps, ctx.viewer, input)),

  /** The packages on sale (prices are the server's). */
  packages: publicProcedure.query(() => tokenPackages()),

  /** Start buying a package: a pending purchase, its order id and where to pay (valid 15 minutes). */
  purchase: authedProcedure
    .input(z.object({ packageId: z.string().min(1).max(50) }))
    .mutation(({ ctx, input }) => createPurchase(ctx.deps, ctx.viewer, input)),

  /** The web app's return from checkout: confirm the payment (credited once per payment key). */
  confirmPurchase: authedProcedure
    .input(
      z.object({
        paymentKey: z.string().min(1).max(200),
        orderId: z.string().min(6).max(64),
        amount: z.number().int().positive(),
      }),
    )
    .mutation(({ ctx, input }) => confirmPurchase(ctx.deps, ctx.viewer, input)),
});
