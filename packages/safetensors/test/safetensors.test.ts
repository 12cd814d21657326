import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensorsFile,
  readSafetensorsHeader,
  SafetensorsError,
  tensorToFloat32,
  writeSafetensorsFile,
} from '../src/index';

/** Builds a file from a header object and data bytes exactly as the format describes it. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  out.set(text, 8);
  out.set(data, 8 + text.byteLength);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as SafetensorsError).code).toBe('SAFETENSORS_INVALID');
    return (error as SafetensorsError).reason;
  }
  throw new Error('expected a SafetensorsError');
}

describe('parseSafetensors', () => {
  it('reads a hand-built file: tensors in data order, metadata, values', () => {
    const bytes = rawFile(
      {
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        __metadata__: { format: 'pt' },
      },
      f32Bytes([1.5, -2, 7]),
    );
    const file = parseSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get('a')).toMatchObject({
      dtype: 'F32',
      shape: [2],
      dataOffsets: [0, 8],
      elementCount: 2,
    });
    expect([...tensorToFloat32(file, 'a')]).toEqual([1.5, -2]);
    expect([...tensorToFloat32(file, 'b')]).toEqual([7]);
  });

  it('converts F16 and BF16 bit patterns to float32', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504, 0x0001 = smallest subnormal, 0x7c00 = +inf
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]).buffer);
    // bf16 0x3fc0 = 1.5, 0xc100 = -8
    const bf16 = new Uint8Array(new Uint16Array([0x3fc0, 0xc100]).buffer);
    const data = new Uint8Array([...f16, ...bf16]);
    const file = parseSafetensors(
      rawFile(
        {
          h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
        },
        data,
      ),
    );
    expect([...tensorToFloat32(file, 'h')]).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect([...tensorToFloat32(file, 'b')]).toEqual([1.5, -8]);
  });

  it('accepts zero-element tensors and an empty data section', () => {
    const file = parseSafetensors(rawFile({ empty: { dtype: 'F16', shape: [0, 4], data_offsets: [0, 0] } }));
    expect(tensorToFloat32(file, 'empty').length).toBe(0);
    expect(parseSafetensors(rawFile({})).tensors.size).toBe(0);
  });

  it.each([
    ['fewer than 8 bytes', new Uint8Array([1, 2, 3]), 'file_too_small'],
    [
      'header length beyond the file',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      'header_length',
    ],
    [
      'header length over 100 MB',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
        return b;
      })(),
      'header_length',
    ],
    ['header that is not JSON', rawFile(null, undefined, '{"a": '), 'header_json'],
    ['header that is a JSON array', rawFile(null, undefined, '[1]'), 'header_json'],
    [
      'invalid UTF-8 in the header',
      (() => {
        const b = rawFile(null, undefined, '{"\u00e9":1}');
        b[10] = 0xff;
        return b;
      })(),
      'header_json',
    ],
    [
      'unknown dtype',
      rawFile({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      'unknown_dtype',
    ],
    ['negative dimension', rawFile({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), 'bad_shape'],
    [
      'fractional dimension',
      rawFile({ a: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, new Uint8Array(1)),
      'bad_shape',
    ],
    [
      'reversed offsets',
      rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)),
      'bad_offsets',
    ],
    [
      'size that does not match shape × dtype',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
      'size_mismatch',
    ],
    [
      'gap between tensors',
      rawFile(
        {
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          b: { dtype: 'U8', shape: [2], data_offsets: [3, 5] },
        },
        new Uint8Array(5),
      ),
      'bad_offsets',
    ],
    [
      'overlapping tensors',
      rawFile(
        {
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] },
        },
        new Uint8Array(3),
      ),
      'bad_offsets',
    ],
    [
      'data shorter than the offsets',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
      'bad_offsets',
    ],
    [
      'trailing bytes after the last tensor',
      rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(3)),
      'bad_offsets',
    ],
    ['metadata value that is not a string', rawFile({ __metadata__: { rank: 8 } }), 'header_structure'],
    [
      'unknown tensor field',
      rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [0, 0], extra: 1 } }),
      'header_structure',
    ],
    ['tensor entry that is not an object', rawFile({ a: 3 }), 'header_structure'],
  ])('refuses %s', (_label, bytes, reason) => {
    expect(reasonOf(() => parseSafetensors(bytes))).toBe(reason);
  });

  it('names a missing tensor', () => {
    const file = parseSafetensors(rawFile({}));
    expect(reasonOf(() => tensorToFloat32(file, 'nope'))).toBe('tensor_missing');
  });
});

describe('encodeSafetensors', () => {
  it('round-trips F32, F16 and BF16 tensors with metadata and an 8-byte aligned header', () => {
    const bytes = encodeSafetensors(
      {
        'lora_unet_x.lora_down.weight': { dtype: 'F16', shape: [2, 3], values: [0.5, -1, 2, 0.1, 0, 65504] },
        'lora_unet_x.alpha': { dtype: 'F32', shape: [], values: [8] },
        bf: { dtype: 'BF16', shape: [2], values: new Float32Array([1.5, -3]) },
      },
      { ss_network_dim: '8' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ ss_network_dim: '8' });
    expect([...file.tensors.keys()]).toEqual(['lora_unet_x.lora_down.weight', 'lora_unet_x.alpha', 'bf']);
    expect(file.tensors.get('lora_unet_x.alpha')?.shape).toEqual([]);
    const down = tensorToFloat32(file, 'lora_unet_x.lora_down.weight');
    expect(down[0]).toBe(0.5);
    expect(down[3]).toBeCloseTo(0.1, 3); // half precision
    expect(down[5]).toBe(65504);
    expect([...tensorToFloat32(file, 'lora_unet_x.alpha')]).toEqual([8]);
    expect([...tensorToFloat32(file, 'bf')]).toEqual([1.5, -3]);
  });

  it('writes raw tensors of any dtype', () => {
    const bytes = encodeSafetensors([
      ['steps', { dtype: 'I64', shape: [1], bytes: new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]) }],
    ]);
    expect([...tensorToFloat32(parseSafetensors(bytes), 'steps')]).toEqual([42]);
  });

  it('refuses values that do not fill the shape, and reserved names', () => {
    expect(reasonOf(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], values: [1, 2] } }))).toBe(
      'bad_input',
    );
    expect(
      reasonOf(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], values: [] } })),
    ).toBe('bad_input');
    expect(
      reasonOf(() => encodeSafetensors({ a: { dtype: 'U8', shape: [2], bytes: new Uint8Array(3) } })),
    ).toBe('bad_input');
  });
});

describe('files', () => {
  let tempDir: TempDir | undefined;
  let dir: string;
  beforeAll(async () => {
    tempDir = await makeTempDir('safetensors');
    dir = tempDir.path;
  });
  afterAll(() => tempDir?.remove());

  it('writes a file and reads back the header alone and the whole file', async () => {
    const path = join(dir, 'lora.safetensors');
    const big = new Float32Array(1 << 20).fill(0.25);
    await writeSafetensorsFile(
      path,
      { big: { dtype: 'F32', shape: [1024, 1024], values: big } },
      { note: 'x' },
    );
    const header = await readSafetensorsHeader(path);
    expect(header.fileByteLength).toBe(header.dataStart + 4 * (1 << 20));
    expect(header.tensors.get('big')?.shape).toEqual([1024, 1024]);
    expect(header.metadata).toEqual({ note: 'x' });
    const file = await readSafetensorsFile(path);
    expect(tensorToFloat32(file, 'big')[123_456]).toBe(0.25);
  });

  it('validates offsets against the real file size in a header-only read', async () => {
    const truncated = join(dir, 'truncated.safetensors');
    const whole = encodeSafetensors({ a: { dtype: 'F32', shape: [4], values: [1, 2, 3, 4] } });
    await writeFile(truncated, whole.subarray(0, whole.byteLength - 4));
    await expect(readSafetensorsHeader(truncated)).rejects.toMatchObject({
      code: 'SAFETENSORS_INVALID',
      reason: 'bad_offsets',
    });
    const tiny = join(dir, 'tiny.safetensors');
    await writeFile(tiny, new Uint8Array(3));
    await expect(readSafetensorsHeader(tiny)).rejects.toMatchObject({ reason: 'file_too_small' });
  });
});
