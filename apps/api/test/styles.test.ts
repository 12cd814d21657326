import { findCounterDrift } from '@stylelicense/db';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOrphanedUploads } from '../src/styles/uploads';
import { linkStyleTags } from '../src/styles/tags';
import {
  addArtist,
  addGeneration,
  addStyle,
  addUser,
  codeOf,
  startMarketplace,
  type Marketplace,
  type TestUser,
} from './marketplace';

let market: Marketplace;
let png: Buffer;
let jpeg: Buffer;

beforeAll(async () => {
  market = await startMarketplace();
  const image = sharp({
    create: { width: 512, height: 512, channels: 3, background: { r: 200, g: 90, b: 40 } },
  });
  png = await image.clone().png().toBuffer();
  jpeg = await image.clone().jpeg().toBuffer();
});
afterAll(async () => {
  await market.stop();
});

/** Asks for upload URLs and puts `images` where they point (what the browser does). */
async function stage(artist: TestUser, images: Buffer[]) {
  const { uploadId, uploads } = await market.as(artist.viewer).styles.uploadUrls({
    images: images.map((b) => ({
      contentType: b === jpeg ? ('image/jpeg' as const) : ('image/png' as const),
    })),
  });
  await Promise.all(
    uploads.map((u, i) =>
      market.deps.storage.put(u.key, images[i]!, {
        contentType: images[i] === jpeg ? 'image/jpeg' : 'image/png',
      }),
    ),
  );
  return uploadId;
}

function styleInput(uploadId: string, count: number, extra: Partial<{ name: string; tags: string[] }> = {}) {
  return {
    uploadId,
    name: extra.name ?? `Moody Watercolor ${Math.random().toString(36).slice(2, 7)}`,
    description: 'Soft washes',
    generationCostTokens: 12,
    licenseType: 'commercial' as const,
    tags: extra.tags ?? ['Watercolor', 'landscape'],
    artworks: Array.from({ length: count }, (_, index) => ({
      index,
      caption: `piece ${index}`,
      tags: index === 0 ? ['Sky'] : [],
    })),
  };
}

describe('styles.create', () => {
  it('verifies the uploads and writes style, artworks, ordered tags and the training job together', async () => {
    const artist = await addArtist(market.db);
    const uploadId = await stage(artist, [jpeg, ...Array(10).fill(png)]);
    const input = styleInput(uploadId, 11, { name: 'Moody  Watercolor' });
    const style = await market.as(artist.viewer).styles.create(input);
    expect(style).toMatchObject({
      name: 'Moody Watercolor',
      trainingStatus: 'pending',
      generationCostTokens: 12,
      licenseType: 'commercial',
      tags: ['moody watercolor', 'watercolor', 'landscape'],
      owner: { modelPath: null, progress: null },
    });
    expect(style.samples).toHaveLength(6);
    expect(style.samples[0]).toMatchObject({ caption: 'piece 0', width: 512, height: 512 });
    expect(style.thumbnailUrl).toContain('/api/storage/training/');

    const artworks = await market.db.artwork.findMany({
      where: { styleId: style.id },
      orderBy: { sequence: 'asc' },
      include: { tags: { include: { tag: true }, orderBy: { sequence: 'asc' } } },
    });
    expect(artworks).toHaveLength(11);
    expect(artworks[0]!.tags.map((t) => t.tag.name)).toEqual(['moody watercolor', 'sky']);
    expect(artworks.every((a) => a.tags[0]!.tag.name === 'moody watercolor')).toBe(true);
    expect(await market.deps.storage.head(artworks[10]!.image)).not.toBeNull();

    const outbox = await market.db.outboxMessage.findUniqueOrThrow({ where: { messageId: style.id } });
    expect(outbox.destination).toBe('jobs.training');
    expect(outbox.payload).toMatchObject({
      v: 1,
      styleId: style.id,
      artistId: artist.id,
      styleName: 'Moody Watercolor',
      attempt: 1,
    });
    expect((outbox.payload as { artworks: unknown[] }).artworks).toHaveLength(11);

    // The staging folder is gone: nothing orphaned.
    const staged = [];
    for await (const o of market.deps.storage.list(`uploads/${uploadId}/`)) staged.push(o.key);
    expect(staged).toEqual([]);
    expect(await findCounterDrift(market.db)).toEqual([]);
  });

  it('refuses too few / too many images, bad, small and oversized ones with their codes', async () => {
    const artist = await addArtist(market.db);
    const api = market.as(artist.viewer);
    expect(await codeOf(api.styles.uploadUrls({ images: Array(9).fill({ contentType: 'image/png' }) }))).toBe(
      'INSUFFICIENT_IMAGES',
    );
    expect(
      await codeOf(api.styles.uploadUrls({ images: Array(101).fill({ contentType: 'image/png' }) })),
    ).toBe('TOO_MANY_IMAGES');
    const uploadId = await stage(artist, Array(10).fill(png));
    expect(await codeOf(api.styles.create(styleInput(uploadId, 9)))).toBe('INSUFFICIENT_IMAGES');
    expect(await codeOf(api.styles.create({ ...styleInput(uploadId, 10), tags: ['수채화'] }))).toBe(
      'INVALID_TAG_LANGUAGE',
    );

    const cases: Array<[Buffer, string]> = [
      [Buffer.from('GIF89a not really an image at all'), 'INVALID_IMAGE_FORMAT'],
      [
        await sharp({ create: { width: 256, height: 700, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
        'IMAGE_RESOLUTION_TOO_LOW',
      ],
      [Buffer.concat([png, Buffer.alloc(10 * 1024 * 1024)]), 'IMAGE_SIZE_EXCEEDED'],
    ];
    for (const [bad, code] of cases) {
      const id = await stage(artist, Array(10).fill(png));
      await market.deps.storage.put(`uploads/${id}/3`, bad, { contentType: 'image/png' });
      const error = await api.styles.create(styleInput(id, 10)).catch((e: unknown) => e);
      expect(await codeOf(Promise.reject(error as Error))).toBe(code);
      expect((error as { cause: { details: { index: number } } }).cause.details.index).toBe(3);
      // The bad object is deleted; nothing was written.
      expect(await market.deps.storage.head(`uploads/${id}/3`)).toBeNull();
    }
    expect(await market.db.style.count({ where: { artistId: artist.id } })).toBe(0);
  });

  it('is for artists only, with their own uploads only', async () => {
    const artist = await addArtist(market.db);
    const thief = await addArtist(market.db);
    const user = await addUser(market.db);
    const uploadId = await stage(artist, Array(10).fill(png));
    expect(await codeOf(market.as(thief.viewer).styles.create(styleInput(uploadId, 10)))).toBe('FORBIDDEN');
    expect(await codeOf(market.as(user.viewer).styles.create(styleInput(uploadId, 10)))).toBe('ARTIST_ONLY');
    expect(
      await codeOf(
        market.as(user.viewer).styles.uploadUrls({ images: Array(10).fill({ contentType: 'image/png' }) }),
      ),
    ).toBe('ARTIST_ONLY');
    expect(await codeOf(market.as(null).styles.create(styleInput(uploadId, 10)))).toBe('UNAUTHORIZED');
  });

  it('applies the per-artist style limit when set, and unique names', async () => {
    const limited = await startMarketplace({ STYLE_LIMIT_PER_ARTIST: '1' });
    try {
      const artist = await addArtist(limited.db);
      await addStyle(limited.db, artist.id, { name: 'first' });
      const { uploadId } = await limited
        .as(artist.viewer)
        .styles.uploadUrls({ images: Array(10).fill({ contentType: 'image/png' }) });
      expect(await codeOf(limited.as(artist.viewer).styles.create(styleInput(uploadId, 10)))).toBe(
        'STYLE_LIMIT_REACHED',
      );
    } finally {
      await limited.stop();
    }
    const artist = await addArtist(market.db);
    await addStyle(market.db, artist.id, { name: 'Taken Name' });
    const uploadId = await stage(artist, Array(10).fill(png));
    expect(
      await codeOf(market.as(artist.viewer).styles.create(styleInput(uploadId, 10, { name: 'Taken Name' }))),
    ).toBe('CONFLICT');
  });

  it('sweeps staged uploads nobody claimed after a day', async () => {
    const artist = await addArtist(market.db);
    await stage(artist, Array(10).fill(png));
    expect(await sweepOrphanedUploads(market.deps.storage)).toBe(0);
    expect(
      await sweepOrphanedUploads(market.deps.storage, new Date(Date.now() + 25 * 3600_000)),
    ).toBeGreaterThanOrEqual(10);
  });
});

describe('styles.byId / update / deactivate / mine', () => {
  it('shows model path, metrics and progress only to the owner or an admin', async () => {
    const artist = await addArtist(market.db);
    const other = await addUser(market.db);
    const admin = await addUser(market.db, { role: 'admin' });
    const style = await addStyle(market.db, artist.id, { status: 'training' });
    const progress = {
      epoch: 1,
      totalEpochs: 4,
      step: 50,
      totalSteps: 200,
      percent: 25,
      etaSeconds: 300,
      loss: 0.12,
      updatedAt: new Date().toISOString(),
    };
    await market.db.style.update({ where: { id: style.id }, data: { trainingProgress: progress } });
    const id = { styleId: style.id };
    expect((await market.as(artist.viewer).styles.byId(id)).owner?.progress).toEqual(progress);
    expect(await codeOf(market.as(other.viewer).styles.byId(id))).toBe('STYLE_NOT_FOUND');
    expect(await codeOf(market.as(null).styles.byId(id))).toBe('STYLE_NOT_FOUND');
    expect(await codeOf(market.as(artist.viewer).styles.update({ ...id, description: 'x' }))).toBe(
      'TRAINING_IN_PROGRESS',
    );

    await market.db.style.update({
      where: { id: style.id },
      data: {
        trainingStatus: 'completed',
        modelPath: 'models/x/lora.safetensors',
        trainingMetric: { loss: 0.05 },
      },
    });
    const publicView = await market.as(other.viewer).styles.byId(id);
    expect(publicView.owner).toBeNull();
    expect(JSON.stringify(publicView)).not.toContain('models/x');
    expect((await market.as(admin.viewer).styles.byId(id)).owner).toMatchObject({
      modelPath: 'models/x/lora.safetensors',
      metrics: { loss: 0.05 },
    });
  });

  it('lets only the owner edit price, description, licence and activity, never the name', async () => {
    const artist = await addArtist(market.db);
    const other = await addArtist(market.db);
    const style = await addStyle(market.db, artist.id);
    const id = { styleId: style.id };
    const updated = await market
      .as(artist.viewer)
      .styles.update({ ...id, generationCostTokens: 20, description: 'New', licenseType: 'exclusive' });
    expect(updated).toMatchObject({
      generationCostTokens: 20,
      description: 'New',
      licenseType: 'exclusive',
      name: style.name,
    });
    expect(await codeOf(market.as(artist.viewer).styles.update({ ...id, name: 'Renamed' } as never))).toBe(
      'VALIDATION_ERROR',
    );
    expect(await codeOf(market.as(artist.viewer).styles.update({ ...id, generationCostTokens: 0 }))).toBe(
      'VALIDATION_ERROR',
    );
    expect(await codeOf(market.as(other.viewer).styles.update({ ...id, generationCostTokens: 1 }))).toBe(
      'STYLE_NOT_FOUND',
    );
    expect(await codeOf(market.as(other.viewer).styles.deactivate(id))).toBe('STYLE_NOT_FOUND');
    expect(await codeOf(market.as(null).styles.deactivate(id))).toBe('UNAUTHORIZED');

    expect((await market.as(artist.viewer).styles.deactivate(id)).isActive).toBe(false);
    expect(await codeOf(market.as(other.viewer).styles.byId(id))).toBe('STYLE_NOT_FOUND');
    expect(await market.db.style.count({ where: { id: style.id } })).toBe(1);
  });

  it('lists my styles in every state with the tokens each earned', async () => {
    const artist = await addArtist(market.db);
    const fan = await addUser(market.db);
    const earning = await addStyle(market.db, artist.id, { createdAt: new Date(Date.now() - 5000) });
    const pending = await addStyle(market.db, artist.id, { status: 'pending' });
    const generation = await addGeneration(market.db, { userId: fan.id, styleId: earning.id });
    await market.db.transaction.create({
      data: {
        receiverId: artist.id,
        amount: 5,
        type: 'earning',
        styleId: earning.id,
        generationId: generation.id,
        idempotencyKey: `earning:${generation.id}`,
      },
    });
    const mine = await market.as(artist.viewer).styles.mine({});
    expect(mine.items.map((s) => [s.id, s.trainingStatus, s.earnedTokens])).toEqual([
      [pending.id, 'pending', 0],
      [earning.id, 'completed', 5],
    ]);
    expect(await codeOf(market.as(fan.viewer).styles.mine({}))).toBe('ARTIST_ONLY');
  });
});

describe('styles.list', () => {
  it('lists listed styles newest or popular, by all tags, by artist, and by status for the owner', async () => {
    const big = await addArtist(market.db);
    const small = await addArtist(market.db);
    const fans = await Promise.all(Array.from({ length: 3 }, () => addUser(market.db)));
    for (const fan of fans) await market.as(fan.viewer).follows.follow({ userId: big.id });
    await market.as(fans[0]!.viewer).follows.follow({ userId: small.id });
    const t = Date.now() + 7_200_000;
    const s1 = await addStyle(market.db, big.id, { createdAt: new Date(t) });
    const s2 = await addStyle(market.db, small.id, { createdAt: new Date(t + 1000) });
    const s3 = await addStyle(market.db, small.id, { createdAt: new Date(t + 2000) });
    await addStyle(market.db, small.id, { status: 'failed', createdAt: new Date(t + 3000) });
    await addStyle(market.db, small.id, { isFlagged: true, createdAt: new Date(t + 4000) });
    await market.db.$transaction(async (tx) => {
      await linkStyleTags(tx, s1.id, ['ink', 'bold']);
      await linkStyleTags(tx, s2.id, ['ink']);
    });

    const recent = await market.as(null).styles.list({ limit: 2 });
    expect(recent.items.map((s) => s.id)).toEqual([s3.id, s2.id]);
    const next = await market.as(null).styles.list({ limit: 1, cursor: recent.nextCursor });
    expect(next.items.map((s) => s.id)).toEqual([s1.id]);
    const popular = await market.as(null).styles.list({ sort: 'popular', limit: 3 });
    expect(popular.items[0]!.id).toBe(s1.id);
    expect(popular.items[0]!.artist.followerCount).toBe(3);
    const popular2 = await market
      .as(null)
      .styles.list({ sort: 'popular', limit: 1, cursor: popular.nextCursor });
    expect(popular2.items).toHaveLength(1);

    expect((await market.as(null).styles.list({ tags: ['INK'] })).items.map((s) => s.id)).toEqual([
      s2.id,
      s1.id,
    ]);
    expect((await market.as(null).styles.list({ tags: ['ink', 'bold'] })).items.map((s) => s.id)).toEqual([
      s1.id,
    ]);
    expect((await market.as(null).styles.list({ tags: ['ink'] })).items[1]!.tags).toEqual(['ink', 'bold']);
    expect((await market.as(null).styles.list({ artistId: small.id })).items.map((s) => s.id)).toEqual([
      s3.id,
      s2.id,
    ]);
    expect(
      (await market.as(small.viewer).styles.list({ artistId: small.id, status: 'failed' })).items,
    ).toHaveLength(1);
    expect(await codeOf(market.as(big.viewer).styles.list({ artistId: small.id, status: 'failed' }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(market.as(null).styles.list({ status: 'completed' }))).toBe('FORBIDDEN');
  });
});
