import { tracked } from '@trpc/server';
import { z } from 'zod';
import { topicOf } from '../messaging/events';
import { countUnread, listNotifications, markAllRead, markRead } from './notifications';
import { paginationInput } from '../common/pagination';
import { authedProcedure, router } from '../trpc/init';

export const notificationsRouter = router({
  list: authedProcedure
    .input(paginationInput.extend({ unreadOnly: z.boolean().default(false) }))
    .query(({ ctx, input }) => listNotifications(ctx.deps, ctx.viewer, input)),
  unreadCount: authedProcedure.query(({ ctx }) => countUnread(ctx.deps, ctx.viewer)),
  markRead: authedProcedure
    .input(z.object({ notificationId: z.uuid() }))
    .mutation(({ ctx, input }) => markRead(ctx.deps, ctx.viewer, input)),
  markAllRead: authedProcedure.mutation(({ ctx }) => markAllRead(ctx.deps, ctx.viewer)),
  /** New notifications as they happen (SSE); reconnecting with the last event id replays what was missed. */
  onNew: authedProcedure
    .input(z.object({ lastEventId: z.string().max(64).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const topic = topicOf({ type: 'notification.created', ownerId: ctx.viewer.userId });
      for await (const { id, event } of ctx.deps.events.subscribe(topic, {
        fromId: input?.lastEventId,
        signal,
      })) {
        if (event.type === 'notification.created') yield tracked(id, event);
      }
    }),
});
