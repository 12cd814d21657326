// Minimal protobuf wire format: just what ONNX's proto2 messages need.
// The writer keeps large byte fields (tensor data) as references instead of
// copying them, so a multi-gigabyte model can be streamed to disk in order.

import { DiffusionError } from '../pipeline/errors';

/** A model file that is not valid ONNX (or an edit that would make it invalid): a permanent MODEL_INVALID failure. */
export class OnnxFormatError extends DiffusionError {
  constructor(message: string) {
    super('MODEL_INVALID', message);
    this.name = 'OnnxFormatError';
  }
}

/** Bytes produced on demand at write time (keeps huge weights out of memory until needed). */
export interface LazyBytes {
  readonly byteLength: number;
  produce(): Uint8Array;
}

export type Chunk = Uint8Array | LazyBytes;

export function isLazy(chunk: Chunk): chunk is LazyBytes {
  return !(chunk instanceof Uint8Array);
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

export class ProtoWriter {
  private readonly chunks: Chunk[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  private flushedSize = 0;

  get size(): number {
    return this.flushedSize + this.used;
  }

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    const next = new Uint8Array(Math.max(this.scratch.length * 2, this.used + n));
    next.set(this.scratch.subarray(0, this.used));
    this.scratch = next;
  }

  private flushScratch(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch.slice(0, this.used));
    this.flushedSize += this.used;
    this.used = 0;
  }

  /** A tagless varint (the elements of a packed field). */
  bareVarint(value: number | bigint): void {
    this.rawVarint(value);
  }

  private rawVarint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.scratch[this.used++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.scratch[this.used++] = v;
      return;
    }
    // int64 as two's complement; numbers past the int64 range (lossy float
    // reads of sentinels like INT64_MAX) are clamped back into it.
    let big = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
    if (big > INT64_MAX) big = INT64_MAX;
    if (big < INT64_MIN) big = INT64_MIN;
    let u = BigInt.asUintN(64, big);
    while (u > 0x7fn) {
      this.scratch[this.used++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.scratch[this.used++] = Number(u);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  varint(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.used, value, true);
    this.used += 4;
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  /** A length-delimited field; large payloads are referenced, not copied. */
  bytes(field: number, value: Chunk): void {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.byteLength);
    if (!isLazy(value) && value.byteLength <= 64) {
      this.ensure(value.byteLength);
      this.scratch.set(value, this.used);
      this.used += value.byteLength;
      return;
    }
    this.flushScratch();
    this.chunks.push(value);
    this.flushedSize += value.byteLength;
  }

  message(field: number, child: ProtoWriter): void {
    child.flushScratch();
    this.tag(field, WIRE_LEN);
    this.rawVarint(child.size);
    this.flushScratch();
    this.chunks.push(...child.chunks);
    this.flushedSize += child.flushedSize;
  }

  /** Re-emit an unknown field exactly as it was read (tag included). */
  raw(bytes: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(bytes);
    this.flushedSize += bytes.byteLength;
  }

  finish(): Chunk[] {
    this.flushScratch();
    return this.chunks;
  }
}

export class ProtoReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.byteLength,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private fail(what: string): never {
    throw new OnnxFormatError(`Malformed ONNX protobuf: ${what} at byte ${this.pos}`);
  }

  /** Reads a varint as a JS number (int64 values beyond 2^53 lose precision). */
  varint(): number {
    const start = this.pos;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
    this.pos = start;
    return Number(this.varintBig());
  }

  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    return this.fail('varint longer than 10 bytes');
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A length-delimited payload as a view into the source bytes (no copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) this.fail('length past end of message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** A nested message: a reader over its bytes. */
  sub(): ProtoReader {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) this.fail('nested message past end');
    const r = new ProtoReader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  /** Next field: its number and wire type, plus where its tag starts. */
  next(): { field: number; wire: number; start: number } {
    const start = this.pos;
    const key = this.varint();
    return { field: Math.floor(key / 8), wire: key & 7, start };
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) this.fail('field past end');
  }

  /** Skip a field and return its exact bytes (tag included), to preserve unknown fields. */
  unknown(start: number, wire: number): Uint8Array {
    this.skip(wire);
    return this.buf.slice(start, this.pos);
  }

  /** Repeated scalar that may be packed (wire 2) or not. */
  repeatedVarint(wire: number, into: number[]): void {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done) into.push(r.varint());
    } else into.push(this.varint());
  }

  repeatedFloat(wire: number, into: number[]): void {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done) into.push(r.float());
    } else into.push(this.float());
  }
}

export const Wire = {
  VARINT: WIRE_VARINT,
  FIXED64: WIRE_FIXED64,
  LEN: WIRE_LEN,
  FIXED32: WIRE_FIXED32,
} as const;
