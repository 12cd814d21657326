import type { AppDeps } from '../deps';
import { downloadUrl } from '../common/media';

export interface TrainingSampleView {
  epoch: number;
  imageUrl: string;
  prompt: string;
  createdAt: Date;
}

/**
 * The pictures the latest training run of a style drew at each epoch's end, oldest epoch first, as
 * expiring links (the files live in the private models area). For the style's owner only.
 */
export async function latestTrainingSamples(
  deps: Pick<AppDeps, 'db' | 'storage'>,
  styleId: string,
): Promise<TrainingSampleView[]> {
  const rows = await deps.db.$queryRaw<
    Array<{ epoch: number; image_key: string; prompt: string; created_at: Date }>
  >`
    SELECT epoch, image_key, prompt, created_at FROM training_samples
     WHERE style_id = ${styleId}::uuid
       AND job_id = (SELECT job_id FROM training_samples WHERE style_id = ${styleId}::uuid
                      ORDER BY created_at DESC LIMIT 1)
     ORDER BY epoch`;
  return Promise.all(
    rows.map(async (row) => ({
      epoch: row.epoch,
      imageUrl: (await downloadUrl(deps.storage, row.image_key))!,
      prompt: row.prompt,
      createdAt: row.created_at,
    })),
  );
}
