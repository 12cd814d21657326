import type { DomainEvent } from '@stylelicense/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { withTransaction } from '@stylelicense/db';
import { JOB_QUEUES } from '@stylelicense/queue';
import { BrokerEventBus } from '../src/messaging/broker-events';
import { sweepExpiredTrainingLeases } from '../src/styles/lease';
import { enqueueOutboxMessage } from '../src/messaging/outbox';
import { collectJobs, stopCollecting } from './broker-fixture';
import { topicOf } from '../src/messaging/events';
import { addArtist, addStyle } from './marketplace';
import { sendWebhook, startPipelineApi, type PipelineApi } from './pipeline-fixtures';

let api: PipelineApi;

beforeAll(async () => {
  api = await startPipelineApi();
});
afterAll(async () => {
  await stopCollecting();
  await api?.stop();
});

const db = () => api.runtime.deps.db;
const styleOf = (id: string) => db().style.findUniqueOrThrow({ where: { id } });
const notificationsOf = (recipientId: string, targetId: string) =>
  db().notification.findMany({ where: { recipientId, targetId } });

async function pendingStyle() {
  const artist = await addArtist(db());
  const style = await addStyle(db(), artist.id, { status: 'pending' });
  const artwork = await db().artwork.create({
    data: { styleId: style.id, image: 'artworks/a.png', width: 512, height: 512, sequence: 1 },
  });
  return { artist, style, artwork };
}

const job = (styleId: string) => ({ v: 1, styleId, jobId: styleId, attempt: 1 });
const progress = (styleId: string, step: number) => ({
  ...job(styleId),
  progress: {
    epoch: 1,
    totalEpochs: 4,
    step,
    totalSteps: 400,
    percent: step / 4,
    etaSeconds: 600,
    loss: 0.12,
    updatedAt: new Date().toISOString(),
  },
});
const complete = (styleId: string, rejectedArtworks: Array<{ artworkId: string; reason: string }> = []) => ({
  ...job(styleId),
  modelKey: `models/${styleId}/lora.safetensors`,
  metrics: { finalLoss: 0.08, steps: 400, durationSeconds: 912 },
  thumbnailKey: `thumbnails/${styleId}.png`,
  logKey: null,
  rejectedArtworks,
});
const failed = (styleId: string) => ({
  v: 1,
  styleId,
  jobId: styleId,
  failure: { code: 'LOW_QUALITY_DATA', message: 'only 3 usable images', retryable: false, attempt: 1 },
  logKey: null,
  rejectedArtworks: [],
});

describe('training webhooks', () => {
  it('started → progress → complete: model, metrics, thumbnail stored, artist notified once; late reports change nothing', async () => {
    const { artist, style, artwork } = await pendingStyle();
    expect(
      (
        await sendWebhook(api, 'trainingStarted', {
          ...job(style.id),
          workerId: 'gpu-1',
          leaseSeconds: 300,
          startedAt: new Date().toISOString(),
        })
      ).body.status,
    ).toBe('applied');
    expect(await styleOf(style.id)).toMatchObject({ trainingStatus: 'training' });
    expect((await sendWebhook(api, 'trainingProgress', progress(style.id, 100))).body.status).toBe('applied');
    expect(await styleOf(style.id)).toMatchObject({
      trainingStatus: 'training',
      trainingProgress: { step: 100, percent: 25, loss: 0.12 },
    });

    const done = await sendWebhook(
      api,
      'trainingComplete',
      complete(style.id, [{ artworkId: artwork.id, reason: 'blurry' }]),
    );
    expect(done.body.status).toBe('applied');
    expect(
      (await sendWebhook(api, 'trainingComplete', complete(style.id), { id: done.id })).body.status,
    ).toBe('duplicate');
    expect((await sendWebhook(api, 'trainingComplete', complete(style.id))).body.status).toBe('ignored');
    expect((await sendWebhook(api, 'trainingProgress', progress(style.id, 200))).body.status).toBe('ignored');
    expect((await sendWebhook(api, 'trainingFailed', failed(style.id))).body.status).toBe('ignored');

    expect(await styleOf(style.id)).toMatchObject({
      trainingStatus: 'completed',
      modelPath: `models/${style.id}/lora.safetensors`,
      thumbnail: `thumbnails/${style.id}.png`,
      trainingMetric: { finalLoss: 0.08, steps: 400 },
      trainingError: null,
      trainingProgress: { step: 100 },
    });
    expect(await db().artwork.findUniqueOrThrow({ where: { id: artwork.id } })).toMatchObject({
      isValid: false,
      validationReason: 'blurry',
    });
    expect((await notificationsOf(artist.id, style.id)).map((n) => n.type)).toEqual([
      'style_training_complete',
    ]);
  });

  it('keeps each epoch sample once, for the job that drew it; a sample after the end is not kept', async () => {
    const { style } = await pendingStyle();
    const sampled = (epoch: number) => ({
      ...progress(style.id, epoch * 100),
      sample: { epoch, imageKey: `models/${style.id}/sample-${epoch}.png`, prompt: 'ink wash', seed: 7 },
    });
    expect((await sendWebhook(api, 'trainingProgress', sampled(1))).body.status).toBe('applied');
    // A retried report (a new delivery id after a lost answer) adds nothing.
    expect((await sendWebhook(api, 'trainingProgress', sampled(1))).body.status).toBe('applied');
    expect((await sendWebhook(api, 'trainingProgress', sampled(2))).body.status).toBe('applied');
    expect((await sendWebhook(api, 'trainingComplete', complete(style.id))).body.status).toBe('applied');
    expect((await sendWebhook(api, 'trainingProgress', sampled(3))).body.status).toBe('ignored');
    const kept = await db().trainingSample.findMany({
      where: { styleId: style.id },
      orderBy: { epoch: 'asc' },
    });
    expect(kept.map((row) => [row.jobId, row.epoch, row.imageKey, row.seed])).toEqual([
      [style.id, 1, `models/${style.id}/sample-1.png`, 7n],
      [style.id, 2, `models/${style.id}/sample-2.png`, 7n],
    ]);
  });

  it('complete before any progress still completes', async () => {
    const { style } = await pendingStyle();
    expect((await sendWebhook(api, 'trainingComplete', complete(style.id))).body.status).toBe('applied');
    expect((await sendWebhook(api, 'trainingProgress', progress(style.id, 1))).body.status).toBe('ignored');
    expect(await styleOf(style.id)).toMatchObject({ trainingStatus: 'completed', trainingProgress: null });
  });

  it('failed: the reason is stored and the artist notified once; a late completion changes nothing', async () => {
    const { artist, style } = await pendingStyle();
    const first = await sendWebhook(api, 'trainingFailed', failed(style.id));
    expect(first.body.status).toBe('applied');
    expect((await sendWebhook(api, 'trainingFailed', failed(style.id))).body.status).toBe('ignored');
    expect((await sendWebhook(api, 'trainingComplete', complete(style.id))).body.status).toBe('ignored');
    expect(await styleOf(style.id)).toMatchObject({
      trainingStatus: 'failed',
      modelPath: null,
      trainingError: { code: 'LOW_QUALITY_DATA', message: 'only 3 usable images' },
    });
    expect((await notificationsOf(artist.id, style.id)).map((n) => n.type)).toEqual([
      'style_training_failed',
    ]);
  });

  it('refuses the inference secret on a training route', async () => {
    const { style } = await pendingStyle();
    const answer = await sendWebhook(api, 'trainingComplete', complete(style.id), {
      secret: api.secrets.inference,
    });
    expect(answer.status).toBe(401);
    expect(await styleOf(style.id)).toMatchObject({ trainingStatus: 'pending' });
  });

  it('every API instance hears the events: a second instance on the same broker receives progress and the notification', async () => {
    const { artist, style } = await pendingStyle();
    const otherInstance = await BrokerEventBus.connect(await api.rabbit.connect(), createLogger('silent'));
    const seen: DomainEvent[] = [];
    const abort = new AbortController();
    const watch = async (type: DomainEvent['type']) => {
      for await (const { event } of otherInstance.subscribe(topicOf({ type, ownerId: artist.id }), {
        signal: abort.signal,
      }))
        seen.push(event);
    };
    void watch('training.updated');
    void watch('notification.created');
    await sendWebhook(api, 'trainingProgress', progress(style.id, 40));
    await sendWebhook(api, 'trainingComplete', complete(style.id));
    await expect
      .poll(() => seen.map((event) => (event.type === 'training.updated' ? event.status : event.type)), {
        timeout: 5_000,
      })
      .toEqual(expect.arrayContaining(['training', 'completed', 'notification.created']));
    expect(seen).toHaveLength(3);
    abort.abort();
    await otherInstance.close();
  });

  it('a style whose worker went silent past the lease is sent again (next attempt), and fails after the last one', async () => {
    const { artist, style, artwork } = await pendingStyle();
    const consumer = await api.rabbit.connect();
    const jobs = await collectJobs(consumer, JOB_QUEUES.training);
    const trainingJob = {
      v: 1,
      jobId: style.id,
      styleId: style.id,
      artistId: artist.id,
      styleName: style.name,
      styleTags: [style.name],
      artworks: [{ artworkId: artwork.id, imageKey: artwork.image, caption: null, tags: [] }],
      options: {},
      attempt: 1,
      requestedAt: new Date().toISOString(),
    };
    await withTransaction(db(), (tx) =>
      enqueueOutboxMessage(tx, {
        destination: JOB_QUEUES.training,
        payload: trainingJob,
        messageId: style.id,
      }),
    );
    const policy = { leaseMs: 60_000, maxAttempts: 3 };
    const goSilent = () =>
      db()
        .$executeRaw`UPDATE styles SET updated_at = now() - interval '2 minutes' WHERE id = ${style.id}::uuid`;

    for (const attempt of [1, 2]) {
      await sendWebhook(api, 'trainingProgress', { ...progress(style.id, 10), attempt });
      expect((await sweepExpiredTrainingLeases(db(), policy)).requeued).toEqual([]); // still heard from
      await goSilent();
      expect((await sweepExpiredTrainingLeases(db(), policy)).requeued).toEqual([style.id]);
      expect(await styleOf(style.id)).toMatchObject({ trainingStatus: 'pending', trainingProgress: null });
      api.runtime.deps.outbox.wake();
      await expect
        .poll(() =>
          jobs
            .filter((job) => (job.body as { styleId: string }).styleId === style.id)
            .map((job) => job.attempt),
        )
        .toContain(attempt + 1);
    }
    await sendWebhook(api, 'trainingProgress', { ...progress(style.id, 10), attempt: 3 });
    await goSilent();
    const last = await sweepExpiredTrainingLeases(db(), policy);
    expect(last).toMatchObject({ requeued: [], failed: [style.id] });
    expect(await sweepExpiredTrainingLeases(db(), policy)).toMatchObject({ requeued: [], failed: [] });
    expect(await styleOf(style.id)).toMatchObject({
      trainingStatus: 'failed',
      trainingError: { code: 'WORKER_SHUTDOWN' },
    });
    expect((await notificationsOf(artist.id, style.id)).map((n) => n.type)).toEqual([
      'style_training_failed',
    ]);
    const sent = jobs.filter((job) => (job.body as { styleId: string }).styleId === style.id);
    expect(sent.map((job) => (job.body as { attempt: number }).attempt)).toEqual([1, 2, 3]);
  });
});
