import { open, readFile } from 'node:fs/promises';
import { SafetensorsError } from './errors';
import { parseSafetensorsHeader, readHeaderLength, type SafetensorsHeader } from './header';
import { parseSafetensors, type SafetensorsFile } from './tensor';

/** Reads and validates only the header of a safetensors file: 8 + header length bytes, never the data. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const lengthBytes = new Uint8Array(8);
    await readExactly(handle, lengthBytes, 0, size);
    const headerByteLength = readHeaderLength(lengthBytes, size);
    const prefix = new Uint8Array(8 + headerByteLength);
    prefix.set(lengthBytes);
    await readExactly(handle, prefix.subarray(8), 8, size);
    return parseSafetensorsHeader(prefix, size);
  } finally {
    await handle.close();
  }
}

/** Reads a whole safetensors file into memory and validates it. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const buffer = await readFile(path);
  return parseSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
}

/** Reads one byte range of a file into `target` (a file that shrank under us is refused). */
async function readExactly(
  handle: Awaited<ReturnType<typeof open>>,
  target: Uint8Array,
  position: number,
  fileByteLength: number,
): Promise<void> {
  if (fileByteLength < 8) {
    throw new SafetensorsError('file_too_small', `file is ${fileByteLength} bytes; at least 8 are needed`);
  }
  let done = 0;
  while (done < target.byteLength) {
    const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done);
    if (bytesRead === 0) throw new SafetensorsError('file_too_small', 'file ended before the header did');
    done += bytesRead;
  }
}
