// Build a synthetic Stable Diffusion model folder (Optimum ONNX layout, random weights).
//   tsx scripts/build-model.ts --preset tiny --out .data/models/tiny
//   tsx scripts/build-model.ts --preset sd15 --dtype fp16 --fused --out /tmp/sd15-fused
import { parseArgs } from 'node:util';
import { buildSyntheticModel } from '../src/synthetic';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'fp32' },
    fused: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    overwrite: { type: 'boolean', default: false },
  },
});

if (!values.out) {
  console.error(
    'usage: build-model --preset tiny|sd15 --out <dir> [--dtype fp32|fp16] [--fused] [--seed N] [--overwrite]',
  );
  process.exit(2);
}

const started = Date.now();
try {
  const result = buildSyntheticModel({
    preset: values.preset as 'tiny' | 'sd15',
    dtype: values.dtype as 'fp32' | 'fp16',
    fused: values.fused,
    seed: Number(values.seed),
    dir: values.out,
    overwrite: values.overwrite,
    onFile: (path, bytes) =>
      console.log(`${path.padEnd(36)} ${(bytes / 1024 ** 2).toFixed(1).padStart(9)} MiB`),
  });
  const total = result.files.reduce((n, f) => n + f.bytes, 0);
  console.log(
    `${result.preset} ${result.dtype}${result.fused.length > 0 ? ` fused (${result.fused.join(', ')})` : ''} → ${result.dir}: ${(total / 1024 ** 3).toFixed(2)} GiB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (error) {
  console.error(
    error instanceof Error ? `${(error as { code?: string }).code ?? 'ERROR'}: ${error.message}` : error,
  );
  process.exit(1);
}
