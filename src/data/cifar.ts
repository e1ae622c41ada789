// CIFAR-10 binary batch parser: records of 1 label byte (0-9) + 3072 pixel bytes (1024 red, 1024 green, 1024 blue; CHW).
import { DataError } from './errors.js';

export const CIFAR10_PIXELS = 3 * 32 * 32;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_PIXELS;
export const CIFAR10_CLASS_COUNT = 10;

/** A parsed CIFAR-10 batch: labels [count] and pixels [count, 3, 32, 32], both copied out of the records. */
export interface Cifar10Batch {
  count: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

/** Parses any whole number of CIFAR-10 records (at most `limit` of them); a partial record or a label above 9 is an error. */
export function parseCifar10Batch(bytes: Uint8Array, file = '<bytes>', limit = Infinity): Cifar10Batch {
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new DataError(
      file,
      `size ${bytes.length} bytes is not a multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record ` +
        `(${whole} whole records and ${bytes.length - whole * CIFAR10_RECORD_BYTES} extra bytes)`,
    );
  }
  const count = Math.min(bytes.length / CIFAR10_RECORD_BYTES, limit);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * CIFAR10_PIXELS);
  for (let i = 0; i < count; i++) {
    const offset = i * CIFAR10_RECORD_BYTES;
    const label = bytes[offset];
    if (label >= CIFAR10_CLASS_COUNT) {
      throw new DataError(file, `record ${i} (byte offset ${offset}) has label ${label}, expected 0-${CIFAR10_CLASS_COUNT - 1}`);
    }
    labels[i] = label;
    pixels.set(bytes.subarray(offset + 1, offset + CIFAR10_RECORD_BYTES), i * CIFAR10_PIXELS);
  }
  return { count, labels, pixels };
}
