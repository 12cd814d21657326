import { ASPECT_RATIOS } from '@stylelicense/contracts';
import { demoSeedIds, type Database } from '@stylelicense/db';
import { stampSignature, type ProvenanceSigner, type StampFormat } from '@stylelicense/imaging';
import type { ObjectStorage } from '@stylelicense/storage';
import { hash32, paintingPicture, paintingPixels, signaturePicture } from './demo-pictures';

// The demo seed (packages/db) writes rows only: db knows no storage. This gives exactly the
// seeded rows the files they name, so the embedded demo works end to end: a signature per demo
// artist, a LoRA and a cover artwork per demo style, a signed result per seeded generation.
// Idempotent: every key is checked with `head` and only missing objects are written.

const DB_ASPECT_SIZES = {
  square: ASPECT_RATIOS['1:1'],
  squareLarge: ASPECT_RATIOS['2:2'],
  portrait: ASPECT_RATIOS['1:2'],
} as const;
const DEMO_METADATA = { 'stylelicense-demo': 'true' };

export interface DemoAssetsOptions {
  db: Database;
  storage: ObjectStorage;
  /**
   * A style's LoRA (safetensors bytes) for the model the inference worker runs, from a seed.
   * Without it the demo styles' LoRA files stay missing (and generating with them fails).
   */
  makeLora?: (seed: number) => Uint8Array | Promise<Uint8Array>;
  /** The key demo results are signed with, as the in-process inference worker signs its own. */
  provenance: ProvenanceSigner;
}

export type DemoAssetKind = 'signatures' | 'loras' | 'thumbnails' | 'results';

export interface DemoAssetsReport {
  /** Objects written now, per kind. */
  created: Record<DemoAssetKind, number>;
  /** Objects that were already there. */
  present: number;
  /** Keys left missing because no LoRA maker was given. */
  skipped: string[];
  ms: number;
}

/** Writes whatever files the demo seed's rows name but storage lacks. */
export async function ensureDemoAssets({
  db,
  storage,
  makeLora,
  provenance,
}: DemoAssetsOptions): Promise<DemoAssetsReport> {
  const started = performance.now();
  const report: DemoAssetsReport = {
    created: { signatures: 0, loras: 0, thumbnails: 0, results: 0 },
    present: 0,
    skipped: [],
    ms: 0,
  };
  const ids = demoSeedIds();

  // Each missing object is made only when needed: a second start only pays for the `head`s.
  const ensure = async (
    kind: DemoAssetKind,
    key: string,
    make: () => Promise<{ bytes: Uint8Array; contentType: string }>,
  ) => {
    if (await storage.head(key)) {
      report.present++;
      return;
    }
    const { bytes, contentType } = await make();
    await storage.put(key, bytes, { contentType, contentLength: bytes.byteLength, metadata: DEMO_METADATA });
    report.created[kind]++;
  };

  const artists = await db.artist.findMany({
    where: { userId: { in: ids.artistUserIds } },
    select: { userId: true, artistName: true, signatureImage: true },
  });
  for (const artist of artists) {
    if (!artist.signatureImage) continue;
    await ensure('signatures', artist.signatureImage, async () => ({
      bytes: await signaturePicture(artist.artistName),
      contentType: 'image/png',
    }));
  }

  const styles = await db.style.findMany({
    where: { id: { in: ids.styleIds }, artistId: { in: ids.artistUserIds } },
    select: { id: true, name: true, thumbnail: true, modelPath: true, licenseType: true, artistId: true },
  });
  for (const style of styles) {
    if (style.modelPath) {
      const modelPath = style.modelPath;
      if (makeLora) {
        await ensure('loras', modelPath, async () => ({
          bytes: await makeLora(hash32(`lora:${style.id}`)),
          contentType: 'application/octet-stream',
        }));
      } else if (!(await storage.head(modelPath))) {
        report.skipped.push(modelPath);
      } else {
        report.present++;
      }
    }
    if (style.thumbnail) {
      const cover = { styleId: style.id, seed: 0, width: 512, height: 512, caption: style.name };
      await ensure('thumbnails', style.thumbnail, async () => ({
        bytes: await paintingPicture(cover),
        contentType: 'image/png',
      }));
    }
  }

  const byArtist = new Map(artists.map((artist) => [artist.userId, artist]));
  const byStyle = new Map(styles.map((style) => [style.id, style]));
  const generations = await db.generation.findMany({
    where: {
      styleId: { in: ids.styleIds },
      userId: { in: ids.userIds },
      status: 'completed',
      resultImage: { not: null },
    },
    select: { id: true, styleId: true, seed: true, aspectRatio: true, description: true, resultImage: true },
    orderBy: { id: 'asc' },
  });
  const signatures = new Map<string, Buffer>();
  for (const generation of generations) {
    const style = byStyle.get(generation.styleId);
    const artist = style && byArtist.get(style.artistId);
    if (!style || !artist?.signatureImage) continue;
    const signatureKey = artist.signatureImage;
    await ensure('results', generation.resultImage!, async () => {
      let signature = signatures.get(signatureKey);
      if (!signature) signatures.set(signatureKey, (signature = await storage.get(signatureKey)));
      const { width, height } = DB_ASPECT_SIZES[generation.aspectRatio];
      const seed = Number(generation.seed);
      const format: StampFormat = generation.resultImage!.endsWith('.webp') ? 'webp' : 'png';
      // The same stamp the inference worker applies: users never see an unsigned demo image either.
      const stamped = await stampSignature({
        image: await paintingPixels({
          styleId: style.id,
          seed,
          width,
          height,
          caption: generation.description,
        }),
        raw: { width, height },
        signaturePng: signature,
        signatureKey,
        provenance,
        metadata: {
          artist: artist.artistName,
          artistId: artist.userId,
          style: style.name,
          styleId: style.id,
          generationId: generation.id,
          license: style.licenseType,
          seed,
        },
        format,
      });
      return { bytes: stamped.bytes, contentType: stamped.contentType };
    });
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}
