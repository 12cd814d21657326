// Latents and caption embeddings, computed once per artwork with the frozen VAE encoder and text
// encoder (neither is trained, so neither runs again during the steps).
import { join } from 'node:path';
import {
  ClipTokenizer,
  createSession,
  isDiffusionError,
  loadOrt,
  openModelFolder,
  type ExecutionProviderConfig,
} from '@stylelicense/diffusion';
import { floatFeed, readFloat32 } from './precision';
import { TrainingGraphError } from './autodiff';

export interface Artwork {
  /** [3, height, width] planes, values in [−1, 1] (the VAE's input range). */
  readonly pixels: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly caption: string;
}

export interface EncodedArtwork {
  /** [channels, height/8, width/8], already multiplied by the VAE scaling factor. */
  readonly latent: Float32Array;
  readonly latentShape: readonly [number, number, number];
  /** [tokens, dim] */
  readonly context: Float32Array;
  readonly contextShape: readonly [number, number];
}

export async function encodeArtworks(
  modelDir: string,
  artworks: readonly Artwork[],
  provider: ExecutionProviderConfig = { provider: 'cpu' },
): Promise<EncodedArtwork[]> {
  const ort = loadOrt();
  const folder = await openModelFolder(modelDir);
  const tokenizer = await ClipTokenizer.fromDirectory(folder.tokenizerDir);
  const vaeFile = join(modelDir, 'vae_encoder', 'model.onnx');
  const vae = await createSession({ model: vaeFile, byteLength: 0 }, provider, 'vae_encoder').catch(
    (error: unknown) => {
      if (isDiffusionError(error) && error.code === 'CUDA_UNAVAILABLE') throw error;
      throw new TrainingGraphError(
        `the model has no usable vae_encoder (training needs it): ${String(error)}`,
      );
    },
  );
  const text = await createSession({ model: folder.textEncoder, byteLength: 0 }, provider, 'text_encoder');
  // An fp16 export's VAE encoder takes fp16 pixels; its outputs are read back as fp32.
  const vaeInput = vae.inputMetadata[0];
  const vaePrecision = vaeInput?.isTensor && vaeInput.type === 'float16' ? 'fp16' : 'fp32';
  try {
    const encoded: EncodedArtwork[] = [];
    for (const artwork of artworks) {
      const out = await vae.run({
        [vae.inputNames[0]!]: floatFeed(
          ort,
          artwork.pixels,
          [1, 3, artwork.height, artwork.width],
          vaePrecision,
        ),
      });
      const params = out[vae.outputNames[0]!]!;
      const [, channels2, h, w] = params.dims as [number, number, number, number];
      // `latent_parameters` holds mean then log-variance; `latent_sample` (older exports) is a sample.
      const channels = vae.outputNames[0] === 'latent_parameters' ? channels2 / 2 : channels2;
      const latent = Float32Array.from(
        readFloat32(params).subarray(0, channels * h * w),
        (v) => v * folder.vaeScalingFactor,
      );
      const ids = tokenizer.encode(artwork.caption);
      const hidden = await text.run({ [text.inputNames[0]!]: new ort.Tensor('int32', ids, [1, ids.length]) });
      const state = hidden[text.outputNames[0]!]!;
      encoded.push({
        latent,
        latentShape: [channels, h, w],
        context: Float32Array.from(readFloat32(state)),
        contextShape: [state.dims[1]!, state.dims[2]!],
      });
    }
    return encoded;
  } finally {
    await vae.release();
    await text.release();
  }
}
