// The trained adapter as a kohya-format safetensors file: lora_unet_<module_path_with_underscores>
// .lora_down.weight [rank, in(,1,1)], .lora_up.weight [out, rank(,1,1)], .alpha — what the
// inference pipeline, the style store and other tools load.
import { writeSafetensorsFile, type TensorInput } from '@stylelicense/safetensors';

export interface TrainedLayer {
  /** diffusers module path */
  readonly target: string;
  readonly kind: 'linear' | 'conv1x1';
  /** [rank, in] row-major */
  readonly down: Float32Array;
  /** [out, rank] row-major */
  readonly up: Float32Array;
  readonly in: number;
  readonly out: number;
}

export function kohyaKey(target: string): string {
  return `lora_unet_${target.replaceAll('.', '_')}`;
}

export async function writeKohyaLora(
  path: string,
  layers: readonly TrainedLayer[],
  rank: number,
  alpha: number,
  metadata: Readonly<Record<string, string>>,
): Promise<void> {
  const tensors: [string, TensorInput][] = [];
  for (const layer of layers) {
    const conv = layer.kind === 'conv1x1' ? [1, 1] : [];
    const key = kohyaKey(layer.target);
    tensors.push([
      `${key}.lora_down.weight`,
      { dtype: 'F32', shape: [rank, layer.in, ...conv], values: layer.down },
    ]);
    tensors.push([
      `${key}.lora_up.weight`,
      { dtype: 'F32', shape: [layer.out, rank, ...conv], values: layer.up },
    ]);
    tensors.push([`${key}.alpha`, { dtype: 'F32', shape: [], values: [alpha] }]);
  }
  await writeSafetensorsFile(path, tensors, metadata);
}
