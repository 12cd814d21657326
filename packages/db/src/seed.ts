import { createHash } from 'node:crypto';
import type { Database } from './client';
import { withTransaction, type TransactionClient } from './transaction';

export const WELCOME_BONUS_TOKENS = 100;

const ARTISTS = [
  {
    username: 'mina_ink',
    artistName: 'Mina Park',
    styles: [
      ['sumi ink', ['ink', 'monochrome', 'brush']],
      ['city rain', ['urban', 'rain', 'night']],
    ],
  },
  {
    username: 'oliver_paints',
    artistName: 'Oliver Grant',
    styles: [
      ['soft pastel', ['pastel', 'portrait', 'soft']],
      ['harbor light', ['seascape', 'oil', 'light']],
    ],
  },
  {
    username: 'seo_pixel',
    artistName: 'Seo-yeon Han',
    styles: [
      ['pixel garden', ['pixel art', 'garden', 'retro']],
      ['neon sprites', ['pixel art', 'neon', 'game']],
    ],
  },
] as const;
const USERS = ['jun_k', 'lena.v', 'marco_r', 'yuki_t', 'sam_w'];
const PROMPTS = [
  'a quiet street at dusk',
  'a cat on a windowsill',
  'mountains in fog',
  'a lighthouse',
  'a bowl of fruit',
  'a crowded market',
];

/** Deterministic ids so the demo looks the same on every machine (UUID v7-shaped from a label). */
function demoId(label: string): string {
  const hex = createHash('sha256').update(`stylelicense-demo:${label}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The ids of the accounts and styles the demo seed creates. The seed writes rows only (db knows no
 * storage); the embedded default uses these to give exactly the demo rows their files (signatures,
 * LoRAs, thumbnails, results) and never touches anyone else's.
 */
export function demoSeedIds(): { userIds: string[]; artistUserIds: string[]; styleIds: string[] } {
  const artistUserIds = ARTISTS.map((artist) => demoId(`user:${artist.username}`));
  return {
    userIds: [...artistUserIds, ...USERS.map((username) => demoId(`user:${username}`))],
    artistUserIds,
    styleIds: ARTISTS.flatMap((artist) => artist.styles.map(([name]) => demoId(`style:${name}`))),
  };
}

/**
 * A small living marketplace for a newcomer: artists with completed styles, users with public
 * generations, likes, comments, follows and tags — with every counter equal to the rows it counts
 * and every balance equal to its ledger entries. Does nothing (returns null) once users exist.
 */
export async function seedDemoData(db: Database): Promise<Record<string, number> | null> {
  if ((await db.user.count()) > 0) return null;
  return withTransaction(db, (tx) => seed(tx), { timeoutMs: 60_000 });
}

async function seed(tx: TransactionClient): Promise<Record<string, number>> {
  const counts = { users: 0, artists: 0, styles: 0, generations: 0, likes: 0, comments: 0, follows: 0 };
  const userIds: string[] = [];
  const balances = new Map<string, number>();
  const earned = new Map<string, number>();

  const createUser = async (username: string, role: 'user' | 'artist') => {
    const id = demoId(`user:${username}`);
    await tx.user.create({
      data: {
        id,
        username,
        provider: 'dev',
        providerUserId: username,
        role,
        bio: `Demo ${role} ${username}.`,
      },
    });
    await tx.transaction.create({
      data: {
        receiverId: id,
        amount: WELCOME_BONUS_TOKENS,
        type: 'bonus',
        memo: 'Welcome Bonus',
        idempotencyKey: `welcome:${id}`,
      },
    });
    balances.set(id, WELCOME_BONUS_TOKENS);
    userIds.push(id);
    counts.users++;
    return id;
  };

  const tagIds = new Map<string, string>();
  const tagUsage = new Map<string, number>();
  const tagId = async (name: string) => {
    if (!tagIds.has(name)) {
      tagIds.set(name, (await tx.tag.create({ data: { id: demoId(`tag:${name}`), name } })).id);
    }
    tagUsage.set(name, (tagUsage.get(name) ?? 0) + 1);
    return tagIds.get(name)!;
  };

  const styles: Array<{ id: string; artistId: string; cost: number; usage: number }> = [];
  for (const artist of ARTISTS) {
    const artistId = await createUser(artist.username, 'artist');
    await tx.artist.create({
      data: {
        userId: artistId,
        artistName: artist.artistName,
        signatureImage: `signatures/${artistId}.png`,
        verifiedEmail: `${artist.username.replace(/\W/g, '')}@example.com`,
      },
    });
    earned.set(artistId, 0);
    counts.artists++;
    for (const [index, [name, tags]] of artist.styles.entries()) {
      const id = demoId(`style:${name}`);
      const cost = 2 + index * 3;
      await tx.style.create({
        data: {
          id,
          artistId,
          name,
          description: `${artist.artistName}'s ${name} style, trained on their own work.`,
          thumbnail: `training/${id}/0`,
          modelPath: `models/${id}/lora.safetensors`,
          trainingStatus: 'completed',
          trainingMetric: { finalLoss: 0.0812, steps: 1500, durationSeconds: 1260 },
          licenseType: index === 0 ? 'personal' : 'commercial',
          generationCostTokens: cost,
        },
      });
      for (const [sequence, tag] of [name, ...tags].entries()) {
        await tx.styleTag.create({ data: { styleId: id, tagId: await tagId(tag), sequence } });
      }
      styles.push({ id, artistId, cost, usage: 0 });
      counts.styles++;
    }
  }
  for (const username of USERS) await createUser(username, 'user');

  // Each plain user makes a few generations; most are public.
  const generations: Array<{ id: string; ownerId: string; likes: number; comments: number }> = [];
  for (const [u, username] of USERS.entries()) {
    const userId = demoId(`user:${username}`);
    for (let n = 0; n < 4; n++) {
      const style = styles[(u + n) % styles.length]!;
      if (balances.get(userId)! < style.cost) break;
      const id = demoId(`generation:${username}:${n}`);
      const prompt = PROMPTS[(u * 4 + n) % PROMPTS.length]!;
      await tx.generation.create({
        data: {
          id,
          userId,
          styleId: style.id,
          aspectRatio: n % 3 === 2 ? 'portrait' : 'square',
          seed: BigInt(1000 + u * 10 + n),
          consumedTokens: style.cost,
          status: 'completed',
          resultImage: `results/${id}.png`,
          resultMetadata: { seed: 1000 + u * 10 + n, steps: 25, guidance: 7 },
          description: prompt,
          isPublic: n !== 3,
          completedAt: new Date(),
        },
      });
      for (const [sequence, word] of prompt
        .split(' ')
        .filter((w) => w.length > 3)
        .entries()) {
        await tx.generationTag.create({ data: { generationId: id, tagId: await tagId(word), sequence } });
      }
      await tx.transaction.create({
        data: {
          senderId: userId,
          amount: style.cost,
          type: 'generation',
          styleId: style.id,
          generationId: id,
          memo: 'Generation',
          idempotencyKey: `hold:${id}`,
        },
      });
      await tx.transaction.create({
        data: {
          receiverId: style.artistId,
          amount: style.cost,
          type: 'earning',
          styleId: style.id,
          generationId: id,
          memo: 'Style used',
          idempotencyKey: `earning:${id}`,
        },
      });
      balances.set(userId, balances.get(userId)! - style.cost);
      earned.set(style.artistId, earned.get(style.artistId)! + style.cost);
      style.usage++;
      if (n !== 3) generations.push({ id, ownerId: userId, likes: 0, comments: 0 });
      counts.generations++;
    }
  }

  // Likes, comments and follows among everyone.
  for (const [g, generation] of generations.entries()) {
    for (const [i, likerId] of userIds.entries()) {
      if (likerId === generation.ownerId || (g + i) % 3 !== 0) continue;
      await tx.like.create({ data: { userId: likerId, generationId: generation.id } });
      generation.likes++;
      counts.likes++;
    }
    if (g % 2 === 0) {
      const commenter = userIds[(g + 1) % userIds.length]!;
      // Written once, never edited: updated_at equals created_at.
      const postedAt = new Date();
      const comment = await tx.comment.create({
        data: {
          generationId: generation.id,
          userId: commenter,
          content: 'Love the colours in this one!',
          createdAt: postedAt,
          updatedAt: postedAt,
        },
      });
      await tx.comment.create({
        data: {
          generationId: generation.id,
          userId: generation.ownerId,
          parentId: comment.id,
          content: 'Thank you!',
          createdAt: postedAt,
          updatedAt: postedAt,
        },
      });
      generation.comments += 2;
      counts.comments += 2;
    }
    await tx.generation.update({
      where: { id: generation.id },
      data: { likeCount: generation.likes, commentCount: generation.comments },
    });
  }
  const followers = new Map<string, number>();
  for (const [i, followerId] of userIds.entries()) {
    for (const artist of ARTISTS) {
      const artistId = demoId(`user:${artist.username}`);
      if (artistId === followerId || (i + artist.username.length) % 2 !== 0) continue;
      await tx.follow.create({ data: { followerId, followingId: artistId } });
      followers.set(artistId, (followers.get(artistId) ?? 0) + 1);
      counts.follows++;
    }
  }

  for (const [id, tokenBalance] of balances) await tx.user.update({ where: { id }, data: { tokenBalance } });
  for (const [userId, earnedTokenBalance] of earned) {
    await tx.artist.update({
      where: { userId },
      data: { earnedTokenBalance, followerCount: followers.get(userId) ?? 0 },
    });
  }
  for (const style of styles)
    await tx.style.update({ where: { id: style.id }, data: { usageCount: style.usage } });
  for (const [name, usageCount] of tagUsage) await tx.tag.update({ where: { name }, data: { usageCount } });
  return counts;
}
