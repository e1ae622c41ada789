// Validation shared by both backends' prepareCopy: 4-byte aligned offsets and size, ranges inside distinct buffers.
import { EngineError } from '../errors.js';
import type { DeviceBuffer } from './backend.js';

/** Throws EngineError naming the numbers when a copy of `bytes` bytes from src to dst is not allowed. */
export function checkCopy(
  backend: string,
  src: DeviceBuffer,
  srcByteOffset: number,
  dst: DeviceBuffer,
  dstByteOffset: number,
  bytes: number,
): void {
  const where = `${backend}: prepareCopy`;
  for (const [name, value] of [
    ['srcByteOffset', srcByteOffset],
    ['dstByteOffset', dstByteOffset],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value % 4 !== 0) {
      throw new EngineError(`${where}: ${name} must be a non-negative multiple of 4, got ${value}`);
    }
  }
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes % 4 !== 0) {
    throw new EngineError(`${where}: bytes must be a positive multiple of 4, got ${bytes}`);
  }
  if (src === dst) throw new EngineError(`${where}: source and destination are the same ${src.bytes}-byte buffer`);
  if (srcByteOffset + bytes > src.bytes) {
    throw new EngineError(
      `${where}: source range [${srcByteOffset}, ${srcByteOffset + bytes}) passes the end of a ${src.bytes}-byte buffer`,
    );
  }
  if (dstByteOffset + bytes > dst.bytes) {
    throw new EngineError(
      `${where}: destination range [${dstByteOffset}, ${dstByteOffset + bytes}) passes the end of a ${dst.bytes}-byte buffer`,
    );
  }
}
