// A minimal tar reader (ustar, GNU long names, pax path records) for the members of downloaded archives such as CIFAR-10's.
import { DataError } from './errors.js';

/** A regular file inside a tar archive; `bytes` is a view into the archive (no copy). */
export interface TarMember {
  name: string;
  bytes: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function octal(block: Uint8Array, start: number, length: number, what: string, file: string, offset: number): number {
  const field = text(block, start, length).trim();
  if (!/^[0-7]*$/.test(field)) throw new DataError(file, `tar header at byte ${offset} has a malformed ${what} field '${field}'`);
  return field === '' ? 0 : parseInt(field, 8);
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Uint8Array): string | undefined {
  const records = decoder.decode(data);
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(records);
  return match ? match[1] : undefined;
}

/** Lists the regular files of an uncompressed tar archive; a bad header checksum or a member cut short is an error naming `file`. */
export function readTar(bytes: Uint8Array, file = '<tar>'): TarMember[] {
  const members: TarMember[] = [];
  let offset = 0;
  let pendingName: string | undefined;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return members; // end-of-archive marker
    const recorded = octal(header, 148, 8, 'checksum', file, offset);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    if (sum !== recorded) {
      throw new DataError(file, `tar header at byte ${offset} has checksum ${recorded}, computed ${sum}: not a tar archive or corrupt`);
    }
    const size = octal(header, 124, 12, 'size', file, offset);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = text(header, 257, 6) === 'ustar' ? text(header, 345, 155) : '';
    const start = offset + BLOCK;
    const end = start + size;
    if (end > bytes.length) {
      throw new DataError(
        file,
        `tar member '${pendingName ?? text(header, 0, 100)}' needs ${size} bytes from byte ${start}, the archive ends at ${bytes.length}: truncated`,
      );
    }
    const data = bytes.subarray(start, end);
    if (type === 'L') pendingName = text(data, 0, data.length);
    else if (type === 'x') pendingName = paxPath(data) ?? pendingName;
    else {
      if (type === '0' || type === '7') {
        const name = pendingName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
        members.push({ name, bytes: data });
      }
      pendingName = undefined;
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (offset !== bytes.length) throw new DataError(file, `tar archive ends mid-header at byte ${bytes.length}: truncated`);
  return members;
}
