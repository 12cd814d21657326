import { z } from 'zod';
import { generationStatusSchema, notificationTypeSchema, trainingStatusSchema } from '../enums';
import { idSchema, timestampSchema, versioned } from './envelope';
import { generationProgressSchema, trainingProgressSchema } from './progress';

// Events on the `events` topic exchange: every API instance relays them to its
// subscribed clients. Routing key = `<type>.<ownerId>` so an instance may bind per user.

export const trainingUpdateEventSchema = versioned({
  type: z.literal('training.updated'),
  ownerId: idSchema,
  styleId: idSchema,
  status: trainingStatusSchema,
  progress: trainingProgressSchema.nullable(),
  occurredAt: timestampSchema,
});

export const generationUpdateEventSchema = versioned({
  type: z.literal('generation.updated'),
  ownerId: idSchema,
  generationId: idSchema,
  status: generationStatusSchema,
  progress: generationProgressSchema.nullable(),
  occurredAt: timestampSchema,
});

export const notificationEventSchema = versioned({
  type: z.literal('notification.created'),
  ownerId: idSchema,
  notificationId: idSchema,
  notificationType: notificationTypeSchema,
  actorId: idSchema.nullable(),
  targetType: z.string().min(1).max(50),
  targetId: idSchema,
  occurredAt: timestampSchema,
});

export const domainEventSchema = z.discriminatedUnion('type', [
  trainingUpdateEventSchema,
  generationUpdateEventSchema,
  notificationEventSchema,
]);
export type DomainEvent = z.output<typeof domainEventSchema>;
export type DomainEventType = DomainEvent['type'];

/** `training.updated.<ownerId>` etc.; subscribe with `*.*.<ownerId>` or `#`. */
export function eventRoutingKey(event: Pick<DomainEvent, 'type' | 'ownerId'>): string {
  return `${event.type}.${event.ownerId}`;
}
