export type {
  Broker,
  BrokerHealth,
  ConsumeOptions,
  EventHandler,
  EventSubscription,
  JobConsumer,
  JobDelivery,
  JobHandler,
  PublishOptions,
} from './types';
export { PermanentError, RetryableError, failureOutcome, type FailureOutcome } from './outcome';
export {
  ATTEMPT_HEADER,
  EVENTS_EXCHANGE,
  JOB_QUEUES,
  LAST_ERROR_HEADER,
  PARKED_REASON_HEADER,
  parkingQueueOf,
  retryQueueOf,
  topicMatches,
  type JobQueueName,
  type Topology,
  type TopologyOptions,
} from './topology';
export { createInProcessBroker, createInProcessHub, type InProcessBrokerOptions } from './in-process/broker';
export type { InProcessHub } from './in-process/hub';
export {
  createRabbitBroker,
  type RabbitBroker,
  type RabbitBrokerOptions,
  type RabbitConnectionEvent,
} from './rabbitmq/broker';
