// The product end to end: the API, the training worker and the inference worker as real processes
// on real PostgreSQL, RabbitMQ and S3 (s3rver), driven only through the typed client over HTTP.
// An artist signs up and trains a style; a user generates in it and gets a signed image.
import { findCounterDrift, findLedgerDiscrepancies } from '@stylelicense/db';
import { storageKeys } from '@stylelicense/storage';
import { readStampMetadata, signatureBox, sniffImageType } from '@stylelicense/imaging';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { artworkPng, inkedShare, SIGNATURE_INK, SIGNATURE_SIZE, signaturePng } from './support/images';
import { describeApps } from './support/processes';
import { startStack, type Stack } from './support/stack';
import { signIn, watch } from './support/users';
import { FinalState, waitFor } from './support/waiting';
import { uploadToPresignedUrl } from '@stylelicense/storage';

const WELCOME_BONUS = 100;
const STYLE_COST = 7;
const run = Date.now().toString(36);
// Streams resume after the last event id a client saw; one that starts watching just after
// submitting asks for everything still buffered, so a quick worker's first report is not missed.
const FROM_THE_START = '0';

let stack: Stack;
let failed = false;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop({ keepRunDir: failed });
  if (failed && stack) console.error(`e2e: logs kept in ${stack.runDir}`);
}, 60_000);

describe('Style License end to end', () => {
  it('artist → training → generation → signed image → notifications', { timeout: 150_000 }, async () => {
    onTestFailed(() => {
      failed = true;
      console.error(describeApps(stack.apps, 30));
    });
    const { apiUrl, storage, apps } = stack;
    const started = Date.now();
    const lap = (what: string) =>
      console.info(`e2e: ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // ── An artist signs in, uploads a signature and becomes an artist.
    const artist = await signIn(apiUrl, `e2e_artist_${run}`);
    expect(artist.created).toBe(true);
    const signature = await signaturePng();
    const artistName = `E2E Painter ${run}`;
    const upgraded = await artist.client.users.upgradeToArtist.mutate({
      artistName,
      signaturePng: signature.toString('base64'),
    });
    expect(upgraded).toMatchObject({
      role: 'artist',
      tokenBalance: WELCOME_BONUS,
      artist: { artistName, earnedTokenBalance: 0 },
    });
    expect((await storage.get(storageKeys.signature(artist.userId))).equals(signature)).toBe(true);

    // ── Ten artworks straight to storage through presigned uploads, then the style.
    const { uploadId, uploads } = await artist.client.styles.uploadUrls.mutate({
      images: Array.from({ length: 10 }, () => ({ contentType: 'image/png' as const })),
    });
    expect(uploads).toHaveLength(10);
    for (const upload of uploads) await uploadToPresignedUrl(upload, await artworkPng(upload.index));
    const styleName = `Bright Bands ${run}`;
    const created = await artist.client.styles.create.mutate({
      uploadId,
      name: styleName,
      description: 'Diagonal bands in warm and cool colours.',
      generationCostTokens: STYLE_COST,
      licenseType: 'personal',
      tags: ['bands'],
      artworks: uploads.map((upload) => ({ index: upload.index, caption: `bands study ${upload.index}` })),
    });
    expect(created).toMatchObject({
      name: styleName,
      generationCostTokens: STYLE_COST,
      tags: expect.arrayContaining([styleName.toLowerCase(), 'bands']),
    });
    // The job is queued in the same transaction; a quick worker may already have started it.
    expect(['pending', 'training']).toContain(created.trainingStatus);
    lap('style created');

    // ── Training: pending → training → completed, watched live and by polling.
    const trainingEvents = watch<{
      data: { status: string; progress: { step: number; totalSteps: number; percent: number } | null };
    }>((handlers) =>
      artist.client.styles.onProgress.subscribe(
        { styleId: created.id, lastEventId: FROM_THE_START },
        handlers,
      ),
    );
    const trainingSeen = new Set<string>([created.trainingStatus]);
    const progressSeen: { step: number; totalSteps: number; percent: number }[] = [];
    let style = created;
    try {
      style = await waitFor(
        'the style to finish training',
        async () => {
          style = await artist.client.styles.byId.query({ styleId: created.id });
          trainingSeen.add(style.trainingStatus);
          if (style.owner?.progress) progressSeen.push(style.owner.progress);
          if (style.trainingStatus === 'failed')
            throw new FinalState(`training failed: ${JSON.stringify(style.owner?.failure)}`);
          return style.trainingStatus === 'completed' ? style : undefined;
        },
        {
          apps,
          timeoutMs: 60_000,
          intervalMs: 200,
          lastSeen: () => ({ status: style.trainingStatus, owner: style.owner }),
        },
      );
      // The live stream may trail the poll by a moment.
      await waitFor(
        'the live stream to report the trained style',
        async () => (trainingEvents.items.some((e) => e.data.status === 'completed') ? true : undefined),
        { apps, timeoutMs: 5_000, lastSeen: () => trainingEvents.items.map((e) => e.data.status) },
      );
    } finally {
      trainingEvents.stop();
    }
    lap('training completed');
    for (const event of trainingEvents.items) {
      trainingSeen.add(event.data.status);
      if (event.data.progress) progressSeen.push(event.data.progress);
    }
    expect(trainingEvents.errors).toEqual([]);
    expect(trainingSeen).toContain('training');
    // The owner saw the trainer's own step counter move while it trained.
    expect(progressSeen.some((p) => p.totalSteps === 1000 && p.step > 0 && p.percent > 0)).toBe(true);
    expect(trainingEvents.items.at(-1)?.data.status).toBe('completed');
    // 10 images: 1000 steps (training-worker schedule); the loss is the trainer's last avr_loss.
    expect(style.owner?.metrics).toMatchObject({
      finalLoss: expect.any(Number),
      steps: 1000,
      durationSeconds: expect.any(Number),
    });
    const modelPath = style.owner?.modelPath;
    expect(modelPath).toBeTruthy();
    // The stored adapter is a safetensors file: an 8-byte little-endian header length, then JSON.
    const adapter = await storage.get(modelPath!);
    expect(adapter.readBigUInt64LE(0)).toBeGreaterThan(0n);
    expect(adapter.subarray(8, 9).toString()).toBe('{');
    expect(style.thumbnailUrl).toBeTruthy();
    const thumbnail = new Uint8Array(await (await fetch(style.thumbnailUrl!)).arrayBuffer());
    expect(['png', 'jpeg', 'webp']).toContain(sniffImageType(thumbnail));

    // ── A second person signs in with the welcome bonus and generates in the style.
    const user = await signIn(apiUrl, `e2e_user_${run}`);
    expect(await user.client.tokens.balance.query()).toEqual({
      tokenBalance: WELCOME_BONUS,
      earnedTokenBalance: null,
    });
    const listed = await user.client.styles.byId.query({ styleId: style.id });
    expect(listed).toMatchObject({
      trainingStatus: 'completed',
      generationCostTokens: STYLE_COST,
      owner: null,
    });

    const submitted = await user.client.generations.create.mutate({
      styleId: style.id,
      promptTags: ['lake', 'sunset'],
      aspectRatio: '1:1',
      expectedCost: listed.generationCostTokens,
      seed: 1234,
    });
    expect(submitted).toMatchObject({
      status: 'queued',
      owner: { consumedTokens: STYLE_COST },
      resultUrl: null,
    });
    const generationEvents = watch<{ data: { status: string } }>((handlers) =>
      user.client.generations.onProgress.subscribe(
        { generationId: submitted.id, lastEventId: FROM_THE_START },
        handlers,
      ),
    );
    expect((await user.client.tokens.balance.query()).tokenBalance).toBe(WELCOME_BONUS - STYLE_COST);
    lap('generation submitted');

    const generationSeen = new Set<string>([submitted.status]);
    let generation = submitted;
    try {
      generation = await waitFor(
        'the generation to complete',
        async () => {
          generation = await user.client.generations.byId.query({ generationId: submitted.id });
          generationSeen.add(generation.status);
          if (generation.status === 'failed')
            throw new FinalState(`generation failed: ${JSON.stringify(generation.owner?.failure)}`);
          return generation.status === 'completed' ? generation : undefined;
        },
        {
          apps,
          timeoutMs: 60_000,
          intervalMs: 150,
          lastSeen: () => ({ status: generation.status, owner: generation.owner }),
        },
      );
      // The live stream may trail the poll by a moment.
      await waitFor(
        'the live stream to report completion',
        async () => (generationEvents.items.some((e) => e.data.status === 'completed') ? true : undefined),
        {
          apps,
          timeoutMs: 5_000,
          lastSeen: () => generationEvents.items.map((e) => e.data.status),
        },
      );
    } finally {
      generationEvents.stop();
    }
    lap('generation completed');
    for (const event of generationEvents.items) generationSeen.add(event.data.status);
    expect(generationEvents.errors).toEqual([]);
    expect([...generationSeen]).toEqual(expect.arrayContaining(['queued', 'processing', 'completed']));
    expect(generationSeen.has('failed')).toBe(false);
    expect(generation).toMatchObject({
      width: 512,
      height: 512,
      style: { id: style.id, name: styleName, artistName },
      owner: { refunded: false },
    });

    // ── Tokens moved exactly once: the user paid the cost, the artist earned it.
    expect((await user.client.tokens.balance.query()).tokenBalance).toBe(WELCOME_BONUS - STYLE_COST);
    await waitFor(
      "the artist's earnings",
      async () =>
        (await artist.client.tokens.balance.query()).earnedTokenBalance === STYLE_COST ? true : undefined,
      { apps, timeoutMs: 5_000 },
    );
    expect(await artist.client.tokens.balance.query()).toEqual({
      tokenBalance: WELCOME_BONUS,
      earnedTokenBalance: STYLE_COST,
    });

    // Both wallets' histories say so: the welcome bonus and the spend for the user, the earning for the artist.
    const userLedger = (await user.client.tokens.transactions.query({})).items;
    expect(userLedger).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          direction: 'in',
          amount: WELCOME_BONUS,
          memo: 'Welcome Bonus',
          sender: null,
        }),
        expect.objectContaining({
          direction: 'out',
          amount: STYLE_COST,
          generation: expect.objectContaining({ id: generation.id }),
        }),
      ]),
    );
    expect(userLedger).toHaveLength(2);
    const artistLedger = (await artist.client.tokens.transactions.query({})).items;
    // The artist is paid for the style's use; the customer's image stays theirs (no id, no link).
    expect(artistLedger).toContainEqual(
      expect.objectContaining({
        direction: 'in',
        amount: STYLE_COST,
        type: 'earning',
        generation: null,
        style: expect.objectContaining({ id: style.id }),
      }),
    );

    // ── The stored result is the signed image: the signature's ink in its corner, metadata naming the artist and style.
    expect(generation.resultUrl).toBeTruthy();
    const response = await fetch(generation.resultUrl!);
    expect(response.status).toBe(200);
    const image = new Uint8Array(await response.arrayBuffer());
    expect(['png', 'webp']).toContain(sniffImageType(image));
    const { data: pixels, info } = await sharp(image)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([512, 512]);
    const box = signatureBox(info.width, info.height, SIGNATURE_SIZE.width, SIGNATURE_SIZE.height);
    const region = async (left: number) =>
      sharp(pixels, { raw: { width: info.width, height: info.height, channels: info.channels } })
        .extract({ left, top: box.top, width: box.width, height: box.height })
        .raw()
        .toBuffer();
    const signedCorner = await region(box.left);
    const plainCorner = await region(info.width - box.left - box.width); // the mirror image, bottom-left
    expect(signedCorner.equals(plainCorner)).toBe(false);
    // Two thirds of the signature's width × half its height is inked: about a third of the box.
    expect(inkedShare(signedCorner, info.channels, SIGNATURE_INK)).toBeGreaterThan(0.25);
    expect(inkedShare(plainCorner, info.channels, SIGNATURE_INK)).toBeLessThan(0.02);
    expect(await readStampMetadata(image)).toMatchObject({
      artist: artistName,
      style: styleName,
      generationId: generation.id,
      license: 'personal',
    });
    // Users never get the unsigned original: every stored result of this generation is the signed file.
    const stored: string[] = [];
    for await (const object of storage.list('results/'))
      if (object.key.includes(generation.id)) stored.push(object.key);
    expect(stored).toHaveLength(1);
    expect((await storage.get(stored[0]!)).equals(Buffer.from(image))).toBe(true);

    // ── Both people were told.
    const userNotices = await user.client.notifications.list.query({});
    expect(userNotices.items).toContainEqual(
      expect.objectContaining({ type: 'generation_complete', targetId: generation.id, isRead: false }),
    );
    const artistNotices = await artist.client.notifications.list.query({});
    expect(artistNotices.items).toContainEqual(
      expect.objectContaining({ type: 'style_training_complete', targetId: style.id }),
    );

    // ── The books reconcile: every balance equals its ledger entries, every cached counter its rows.
    expect(await findLedgerDiscrepancies(stack.db)).toEqual([]);
    expect(await findCounterDrift(stack.db)).toEqual([]);
    // And the API counted its callers in Redis, as in production.
    const ready = await fetch(`${apiUrl}/api/ready`);
    const checks = ((await ready.json()) as { checks: Record<string, { status: string }> }).checks;
    expect(checks.rateLimits).toMatchObject({ status: 'up' });
    lap('walk finished');
  });
});
