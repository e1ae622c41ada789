// IDX file parser (the MNIST format): big-endian header, magic 0x0000TTDD (TT = element type, DD = dimension count), u8 data.
import { DataError } from './errors.js';
import { gunzipIfNeeded } from './gzip.js';

/** Magic of an unsigned-byte IDX file with 3 dimensions [n, rows, cols] (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic of an unsigned-byte IDX file with 1 dimension [n] (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed unsigned-byte IDX file: its dimensions and a view of its data (no copy). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * Parses an uncompressed unsigned-byte IDX file whose magic must be `expectedMagic`.
 * The returned data is a view into `bytes`.
 */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, file = '<bytes>'): IdxArray {
  const rank = expectedMagic & 0xff;
  const headerBytes = 4 + 4 * rank;
  const kind = rank === 1 ? 'labels' : rank === 3 ? 'images' : `rank-${rank}`;
  if (bytes.length < 4) {
    throw new DataError(file, `truncated IDX header: ${bytes.length} bytes, expected at least ${headerBytes} for ${kind}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const found = magic >>> 8 === 0x08 ? ` (an unsigned-byte IDX file of rank ${magic & 0xff})` : '';
    throw new DataError(file, `wrong IDX magic ${hex(magic)}${found}, expected ${hex(expectedMagic)} (u8 ${kind})`);
  }
  if (bytes.length < headerBytes) {
    throw new DataError(file, `truncated IDX header: ${bytes.length} bytes, expected ${headerBytes} for ${rank} dimension(s)`);
  }
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expectedData = dims.reduce((a, b) => a * b, 1);
  const foundData = bytes.length - headerBytes;
  if (foundData !== expectedData) {
    throw new DataError(
      file,
      `the header's dimensions [${dims.join(', ')}] need ${expectedData} data bytes (${headerBytes + expectedData} in all), ` +
        `found ${foundData} (${bytes.length} in all)`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Images [n, rows, cols] from an IDX file, raw or gzip-compressed. */
export async function parseIdxImages(
  bytes: Uint8Array,
  file = '<bytes>',
): Promise<{ count: number; rows: number; cols: number; pixels: Uint8Array }> {
  const { dims, data } = parseIdx(await gunzipIfNeeded(bytes, file), IDX_IMAGES_MAGIC, file);
  return { count: dims[0], rows: dims[1], cols: dims[2], pixels: data };
}

/** Labels [n] from an IDX file, raw or gzip-compressed. */
export async function parseIdxLabels(bytes: Uint8Array, file = '<bytes>'): Promise<Uint8Array> {
  return parseIdx(await gunzipIfNeeded(bytes, file), IDX_LABELS_MAGIC, file).data;
}
