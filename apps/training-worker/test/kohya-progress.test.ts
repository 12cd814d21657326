import { describe, expect, it } from 'vitest';
import { LineSplitter, parseKohyaLine } from '../src/index';

// Lines as train_network.py's tqdm bar (desc="steps", postfix avr_loss) and accelerator.print write them.
describe('parseKohyaLine', () => {
  it('reads the first redraw before any step', () => {
    expect(parseKohyaLine('steps:   0%|          | 0/1000 [00:00<?, ?it/s]')).toEqual({
      kind: 'steps',
      step: 0,
      totalSteps: 1000,
      elapsedSeconds: 0,
      etaSeconds: null,
      loss: null,
    });
  });

  it('reads step, total, elapsed, ETA and avr_loss from a unicode bar', () => {
    expect(
      parseKohyaLine('steps:  42%|████▏     | 420/1000 [02:06<02:54,  3.33it/s, avr_loss=0.0823]'),
    ).toEqual({
      kind: 'steps',
      step: 420,
      totalSteps: 1000,
      elapsedSeconds: 126,
      etaSeconds: 174,
      loss: 0.0823,
    });
  });

  it('reads ascii bars, s/it rates, hour clocks and tqdm-shortened exponents', () => {
    expect(
      parseKohyaLine('steps:   1%|          | 10/1000 [00:15<24:45,  1.50s/it, avr_loss=0.123]'),
    ).toMatchObject({
      step: 10,
      etaSeconds: 24 * 60 + 45,
      loss: 0.123,
    });
    expect(
      parseKohyaLine('steps:  50%|#####     | 1500/3000 [1:02:03<1:02:04,  2.48s/it, avr_loss=1.23e-5]'),
    ).toMatchObject({
      step: 1500,
      totalSteps: 3000,
      elapsedSeconds: 3723,
      etaSeconds: 3724,
      loss: 1.23e-5,
    });
    expect(
      parseKohyaLine('steps: 100%|██████████| 1000/1000 [05:00<00:00,  3.33it/s, avr_loss=0.0712]'),
    ).toMatchObject({
      step: 1000,
      etaSeconds: 0,
      loss: 0.0712,
    });
  });

  it('takes avr_loss among the other postfix values scale_weight_norms adds, and reports nan', () => {
    expect(
      parseKohyaLine(
        'steps:  10%|█         | 100/1000 [00:30<04:30,  3.33it/s, Keys Scaled=0, Average key norm=0.00123, avr_loss=0.0823]',
      ),
    ).toMatchObject({ step: 100, loss: 0.0823 });
    expect(
      parseKohyaLine('steps:  10%|█         | 100/1000 [00:30<04:30,  3.33it/s, avr_loss=nan]')?.loss,
    ).toBeNaN();
  });

  it('reads epoch lines', () => {
    expect(parseKohyaLine('epoch 3/10')).toEqual({ kind: 'epoch', epoch: 3, totalEpochs: 10 });
  });

  it('ignores validation bars and everything else', () => {
    expect(
      parseKohyaLine('validation steps:  50%|█████     | 2/4 [00:01<00:01,  1.90it/s, val_avg_loss=0.1]'),
    ).toBeNull();
    expect(
      parseKohyaLine('epoch validation steps: 100%|██████████| 4/4 [00:02<00:00,  1.90it/s]'),
    ).toBeNull();
    expect(parseKohyaLine('  num epochs / epoch数: 5')).toBeNull();
    expect(
      parseKohyaLine('override steps. steps for 5 epochs is / 指定エポックまでのステップ数: 1000'),
    ).toBeNull();
    expect(parseKohyaLine('steps:  42%|████▏     | 420/1000 [02:06<02:5')).toBeNull(); // half-written redraw
  });
});

describe('LineSplitter', () => {
  it('splits tqdm redraws on bare \\r, across chunk boundaries, without breaking \\r\\n', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('\rsteps:   0%|          | 0/10 [00:00<?, ?it/s]')).toEqual(['']);
    expect(splitter.pending).toBe('steps:   0%|          | 0/10 [00:00<?, ?it/s]');
    expect(splitter.push('\rsteps:  10%|█         | 1/10 [00:00<00:03,  ')).toEqual([
      'steps:   0%|          | 0/10 [00:00<?, ?it/s]',
    ]);
    expect(splitter.push('3.00it/s, avr_loss=0.2]\r')).toEqual([]);
    expect(splitter.pending).toBe('steps:  10%|█         | 1/10 [00:00<00:03,  3.00it/s, avr_loss=0.2]');
    expect(splitter.push('\nTraceback (most recent call last):\n  File')).toEqual([
      'steps:  10%|█         | 1/10 [00:00<00:03,  3.00it/s, avr_loss=0.2]',
      'Traceback (most recent call last):',
    ]);
    expect(splitter.end()).toEqual(['  File']);
  });
});

describe('recorded sd-scripts output (real tqdm 4.64, see fixtures/record-sd-scripts-output.py)', () => {
  it('reads every redraw of the real bar, split into arbitrary chunks', async () => {
    const { readFile } = await import('node:fs/promises');
    const stderr = await readFile(
      new URL('./fixtures/sd-scripts-output.stderr.txt', import.meta.url),
      'utf8',
    );
    const stdout = await readFile(
      new URL('./fixtures/sd-scripts-output.stdout.txt', import.meta.url),
      'utf8',
    );
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (let at = 0, size = 1; at < stderr.length; at += size, size = (size * 5 + 3) % 211) {
      lines.push(...splitter.push(stderr.slice(at, at + size)));
    }
    lines.push(...splitter.end());
    const readings = lines.map(parseKohyaLine).filter((r) => r !== null);
    const steps = readings.map((r) => r.step as number);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(401); // 0…400, every step seen
    expect(readings.every((r) => r.totalSteps === 400)).toBe(true);
    expect(readings[0]).toMatchObject({ step: 0, etaSeconds: null, loss: null });
    expect(readings.find((r) => r.step === 1 && r.loss !== null)).toMatchObject({
      etaSeconds: 119,
      loss: 0.2,
    });
    // After 200 fast steps the rate falls to s/it and the elapsed clock passes an hour (H:MM:SS).
    expect(lines.some((line) => line.includes('s/it'))).toBe(true);
    expect(readings.find((r) => r.step === 300)).toMatchObject({
      elapsedSeconds: 42 * 60 + 39,
      etaSeconds: 14 * 60 + 13,
    });
    expect(readings.at(-1)).toMatchObject({
      step: 400,
      etaSeconds: 0,
      elapsedSeconds: 3600 + 24 * 60 + 19,
      loss: 2.45e-5,
    });

    const epochs = stdout
      .split('\n')
      .map(parseKohyaLine)
      .filter((r) => r !== null);
    expect(epochs).toEqual([1, 2, 3, 4].map((epoch) => ({ kind: 'epoch', epoch, totalEpochs: 4 })));
  });
});
