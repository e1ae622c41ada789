// Gzip detection (1f 8b magic) and inflation through the web-standard DecompressionStream, present in Node 20, Deno and browsers.
import { DataError } from './errors.js';

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates gzip bytes; returns other bytes unchanged. `file` names the source in errors. */
export async function gunzipIfNeeded(bytes: Uint8Array, file = '<bytes>'): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream === 'undefined') {
    throw new DataError(file, 'the file is gzip-compressed, but this runtime has no DecompressionStream to inflate it');
  }
  // Copy into a fresh ArrayBuffer-backed array: Blob parts must not be views of shared memory.
  const input = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(input).arrayBuffer());
  } catch (error) {
    throw new DataError(file, `corrupt gzip data (${bytes.length} compressed bytes): ${(error as Error).message}`);
  }
}
