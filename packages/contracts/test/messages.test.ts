import { describe, expect, it } from 'vitest';
import {
  dimensionsFor,
  DomainError,
  domainEventSchema,
  eventRoutingKey,
  generationCompleteWebhookSchema,
  generationFailedWebhookSchema,
  generationJobSchema,
  jobFailureReport,
  parseMessage,
  percentOf,
  trainingJobSchema,
  trainingProgressWebhookSchema,
  WEBHOOK_ROUTES,
} from '../src';
import { sampleGenerationJob, sampleTrainingJob } from './fixtures';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseMessage', () => {
  it('parses a generation job from bytes and from an object', () => {
    const job = sampleGenerationJob();
    expect(parseMessage(generationJobSchema, Buffer.from(JSON.stringify(job))).seed).toBe(42);
    expect(parseMessage(generationJobSchema, job).description).toBe('창가에 앉은 고양이');
  });

  it('fills training job defaults', () => {
    expect(parseMessage(trainingJobSchema, sampleTrainingJob()).options).toEqual({});
  });

  it('refuses unknown and missing versions instead of guessing', () => {
    const error = (() => {
      try {
        parseMessage(generationJobSchema, { ...sampleGenerationJob(), v: 2 });
      } catch (caught) {
        return caught as DomainError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('UNSUPPORTED_MESSAGE_VERSION');
    expect(error?.message).toMatch(/version 2 is not supported/);
    const { v: _v, ...unversioned } = sampleGenerationJob();
    expect(codeOf(() => parseMessage(generationJobSchema, unversioned))).toBe('UNSUPPORTED_MESSAGE_VERSION');
    expect(codeOf(() => parseMessage(generationJobSchema, { ...sampleGenerationJob(), v: '1' }))).toBe(
      'UNSUPPORTED_MESSAGE_VERSION',
    );
  });

  it('reports malformed bodies and bad fields with their paths', () => {
    expect(codeOf(() => parseMessage(generationJobSchema, '{not json'))).toBe('MALFORMED_MESSAGE');
    expect(codeOf(() => parseMessage(generationJobSchema, '[1]'))).toBe('MALFORMED_MESSAGE');
    try {
      parseMessage(generationJobSchema, sampleGenerationJob({ steps: 0, promptTags: [] }));
      throw new Error('should fail');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      const issues = (error as DomainError).details?.issues as { path: string }[];
      expect(issues.map((issue) => issue.path).sort()).toEqual(['promptTags', 'steps']);
    }
  });

  it('requires the size to match the aspect ratio', () => {
    expect(codeOf(() => parseMessage(generationJobSchema, sampleGenerationJob({ width: 1024 })))).toBe(
      'VALIDATION_ERROR',
    );
    expect(dimensionsFor('1:1')).toEqual({ width: 512, height: 512 });
    expect(dimensionsFor('2:2')).toEqual({ width: 1024, height: 1024 });
    expect(dimensionsFor('1:2')).toEqual({ width: 512, height: 1024 });
  });

  it('refuses ids that would break routing keys', () => {
    expect(codeOf(() => parseMessage(generationJobSchema, sampleGenerationJob({ userId: 'a.b' })))).toBe(
      'VALIDATION_ERROR',
    );
  });
});

describe('webhook payloads', () => {
  it('carries completion metadata and failures with the retry flag', () => {
    const complete = parseMessage(generationCompleteWebhookSchema, {
      v: 1,
      generationId: 'gen_1',
      attempt: 2,
      resultKey: 'results/gen_1.png',
      metadata: { seed: 1, steps: 25, guidance: 7, width: 512, height: 512 },
    });
    expect(complete.metadata.steps).toBe(25);
    const failed = parseMessage(generationFailedWebhookSchema, {
      v: 1,
      generationId: 'gen_1',
      failure: jobFailureReport('GPU_OOM', 'CUDA out of memory', 1),
    });
    expect(failed.failure).toEqual({
      code: 'GPU_OOM',
      message: 'CUDA out of memory',
      retryable: true,
      attempt: 1,
    });
    expect(
      codeOf(() =>
        parseMessage(generationFailedWebhookSchema, {
          v: 1,
          generationId: 'gen_1',
          failure: { code: 'SOMETHING', message: 'x', retryable: true, attempt: 1 },
        }),
      ),
    ).toBe('VALIDATION_ERROR');
  });

  it('validates training progress', () => {
    const progress = {
      epoch: 2,
      totalEpochs: 10,
      step: 200,
      totalSteps: 1000,
      percent: percentOf(200, 1000),
      etaSeconds: 600,
      loss: 0.12,
      updatedAt: new Date().toISOString(),
    };
    const parsed = parseMessage(trainingProgressWebhookSchema, {
      v: 1,
      styleId: 's',
      jobId: 'j',
      attempt: 1,
      progress,
    });
    expect(parsed.progress.percent).toBe(20);
    expect(WEBHOOK_ROUTES.trainingProgress.schema).toBe(trainingProgressWebhookSchema);
    expect(percentOf(1, 3)).toBe(33.3);
  });
});

describe('events', () => {
  it('routes events by type and owner', () => {
    const event = parseMessage(domainEventSchema, {
      v: 1,
      type: 'generation.updated',
      ownerId: 'user_1',
      generationId: 'gen_1',
      status: 'processing',
      progress: { step: 5, totalSteps: 25, percent: 20, etaSeconds: 3 },
      occurredAt: new Date().toISOString(),
    });
    expect(event.type).toBe('generation.updated');
    expect(eventRoutingKey(event)).toBe('generation.updated.user_1');
    expect(codeOf(() => parseMessage(domainEventSchema, { v: 1, type: 'style.deleted', ownerId: 'u' }))).toBe(
      'VALIDATION_ERROR',
    );
  });
});
