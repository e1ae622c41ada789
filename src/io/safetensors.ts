// Reads and writes the safetensors format (Hugging Face) as float32 tensors, and checks a file's tensors against a model's.
import { EngineError } from '../errors.js';
import { formatShape, type Shape } from '../tensor-meta.js';

/**
 * The element types this reader understands; F16, BF16 and F64 are converted to float32 (F16 and BF16 exactly), as is
 * I64 (PyTorch's integer buffers such as batch norm's num_batches_tracked; exact up to 2^24).
 */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64';

export interface SafetensorsTensor {
  /** The element type stored in the file (the data is always float32). */
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  /** Tensors in the order their bytes appear in the file. */
  tensors: Map<string, SafetensorsTensor>;
  /** The header's `__metadata__` (string to string), empty when absent. */
  metadata: Record<string, string>;
}

/** A tensor to write: row-major float32 values (or int64 ones, written as I64) and their shape. */
export interface SafetensorsInput {
  shape: Shape;
  data: Float32Array | BigInt64Array;
}

/** A safetensors file is malformed, or a tensor cannot be written. */
export class SafetensorsError extends EngineError {
  override name = 'SafetensorsError';
}

const BYTES_PER_ELEMENT: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };
const SUPPORTED = Object.keys(BYTES_PER_ELEMENT).join(', ');
/** The largest header the Python/Rust library accepts (safetensors MAX_HEADER_SIZE). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Parses a safetensors file into float32 tensors; every malformed part gives a SafetensorsError naming it. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('safetensors: expected the file as a Uint8Array');
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `safetensors: the file is ${bytes.length} bytes, too short for the 8-byte little-endian header length it must begin with`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `safetensors: the header length is ${headerLength} bytes, but only ${bytes.length - 8} bytes follow the 8-byte length prefix (truncated file?)`,
    );
  }
  const headerBytes = Number(headerLength);
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`safetensors: the header length ${headerBytes} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    throw new SafetensorsError(`safetensors: the ${headerBytes}-byte header is not valid UTF-8`);
  }
  if (!headerText.startsWith('{')) {
    throw new SafetensorsError(
      `safetensors: the header must be a JSON object starting with '{', found ${JSON.stringify(headerText.slice(0, 20))}`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    throw new SafetensorsError(`safetensors: the header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(header)) throw new SafetensorsError('safetensors: the header must be a JSON object mapping tensor names to entries');

  const metadata = parseMetadata(header[METADATA_KEY]);
  const bufferStart = 8 + headerBytes;
  const bufferLength = bytes.length - bufferStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => parseEntry(name, entry, bufferLength));

  // Like the reference implementation: the tensors' byte ranges must tile the buffer exactly, without overlaps or gaps.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: string | undefined;
  for (const entry of entries) {
    if (entry.begin < covered) {
      throw new SafetensorsError(
        `safetensors: tensor '${entry.name}' data_offsets [${entry.begin}, ${entry.end}] overlap tensor '${previous}', which ends at byte ${covered}`,
      );
    }
    if (entry.begin > covered) {
      throw new SafetensorsError(
        `safetensors: bytes ${covered} to ${entry.begin} of the data buffer belong to no tensor (tensor '${entry.name}' starts at ${entry.begin}, expected ${covered})`,
      );
    }
    covered = entry.end;
    previous = entry.name;
  }
  if (covered !== bufferLength) {
    throw new SafetensorsError(
      `safetensors: the tensors cover ${covered} bytes of the data buffer, but it holds ${bufferLength} bytes (${bufferLength - covered} bytes belong to no tensor)`,
    );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    const data = decode(entry.dtype, bytes, bufferStart + entry.begin, entry.elements);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return { tensors, metadata };
}

/**
 * Writes float32 tensors as safetensors exactly as the Python library does: tensors sorted by name, compact JSON with
 * `__metadata__` first, the header padded with spaces to a multiple of 8 bytes, then the data in header order.
 */
export function serializeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort(compareCodePoints);
  const header: string[] = [];
  if (metadata !== undefined) {
    const fields = Object.keys(metadata)
      .sort(compareCodePoints)
      .map((key) => {
        const value = metadata[key];
        if (typeof value !== 'string') {
          throw new SafetensorsError(`safetensors: metadata '${key}' must be a string, got ${typeof value}`);
        }
        return `${jsonString(key, 'metadata key')}:${jsonString(value, `metadata '${key}'`)}`;
      });
    header.push(`"${METADATA_KEY}":{${fields.join(',')}}`);
  }
  let offset = 0;
  const layout: { data: Float32Array | BigInt64Array; begin: number }[] = [];
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`safetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    const { shape, data } = tensors[name];
    if (!(data instanceof Float32Array || data instanceof BigInt64Array)) {
      throw new SafetensorsError(`safetensors: tensor '${name}' data must be a Float32Array (or a BigInt64Array for I64)`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        `safetensors: tensor '${name}' shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    const elements = shape.reduce((n, d) => n * d, 1);
    if (elements !== data.length) {
      throw new SafetensorsError(
        `safetensors: tensor '${name}' shape ${formatShape(shape)} holds ${elements} values, but its data has ${data.length}`,
      );
    }
    const begin = offset;
    offset += data.byteLength;
    layout.push({ data, begin });
    const dtype = data instanceof BigInt64Array ? 'I64' : 'F32';
    header.push(`${jsonString(name, 'tensor name')}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${offset}]}`);
  }
  const json = new TextEncoder().encode(`{${header.join(',')}}`);
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  const bufferStart = 8 + headerBytes;
  for (const { data, begin } of layout) {
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), bufferStart + begin);
    } else if (data instanceof BigInt64Array) {
      for (let i = 0; i < data.length; i++) view.setBigInt64(bufferStart + begin + 8 * i, data[i], true);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(bufferStart + begin + 4 * i, data[i], true);
    }
  }
  return out;
}

/** Tensor shapes found in a file or a state dict: a Map (as parseSafetensors returns) or a record, of shapes or of tensors. */
export type FoundShapes = ReadonlyMap<string, Shape | { shape: Shape }> | Readonly<Record<string, Shape | { shape: Shape }>>;

/** A state dict's tensors do not match a model's parameters. */
export class StateDictError extends EngineError {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshapen: string[],
  ) {
    super(message);
  }
}

/**
 * Checks that `found` holds exactly the tensors in `expected` with the same shapes; otherwise throws one StateDictError
 * listing every missing, unexpected and misshapen tensor by name with its shapes.
 */
export function checkStateDict(expected: Readonly<Record<string, Shape>>, found: FoundShapes, label = 'state dict'): void {
  const foundShapes = new Map<string, Shape>();
  const pairs = found instanceof Map ? [...found.entries()] : Object.entries(found);
  for (const [name, value] of pairs) foundShapes.set(name, Array.isArray(value) ? (value as Shape) : (value as { shape: Shape }).shape);

  const missing: string[] = [];
  const misshapen: string[] = [];
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(expected)) {
    const actual = foundShapes.get(name);
    if (actual === undefined) missing.push(name);
    else if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) misshapen.push(name);
  }
  const unexpected = [...foundShapes.keys()].filter((name) => !Object.prototype.hasOwnProperty.call(expected, name));
  if (missing.length > 0) {
    problems.push(`missing ${count(missing.length)}: ${missing.map((name) => `'${name}' ${formatShape(expected[name])}`).join(', ')}`);
  }
  if (unexpected.length > 0) {
    problems.push(
      `unexpected ${count(unexpected.length)}: ${unexpected.map((name) => `'${name}' ${formatShape(foundShapes.get(name)!)}`).join(', ')}`,
    );
  }
  if (misshapen.length > 0) {
    const described = misshapen.map(
      (name) => `'${name}' expected ${formatShape(expected[name])}, found ${formatShape(foundShapes.get(name)!)}`,
    );
    problems.push(`misshapen ${count(misshapen.length)}: ${described.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new StateDictError(`${label} does not match the model's parameters; ${problems.join('; ')}`, missing, unexpected, misshapen);
  }
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  elements: number;
  begin: number;
  end: number;
}

function parseEntry(name: string, entry: unknown, bufferLength: number): Entry {
  const where = `safetensors: tensor '${name}'`;
  if (!isPlainObject(entry))
    throw new SafetensorsError(`${where}: expected an object {dtype, shape, data_offsets}, got ${JSON.stringify(entry)}`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw new SafetensorsError(`${where}: dtype must be a string, got ${JSON.stringify(dtype)}`);
  if (!Object.prototype.hasOwnProperty.call(BYTES_PER_ELEMENT, dtype)) {
    throw new SafetensorsError(`${where}: dtype ${dtype} is not supported (expected one of ${SUPPORTED})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end], two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > bufferLength) {
    throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${bufferLength}-byte data buffer`);
  }
  const elements = (shape as number[]).reduce((n, d) => n * d, 1);
  const bytesPerElement = BYTES_PER_ELEMENT[dtype as SafetensorsDType];
  if (end - begin !== elements * bytesPerElement) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${formatShape(shape as number[])} needs ${elements} x ${bytesPerElement} = ${elements * bytesPerElement} bytes`,
    );
  }
  return { name, dtype: dtype as SafetensorsDType, shape: [...(shape as number[])], elements, begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value))
    throw new SafetensorsError(`safetensors: ${METADATA_KEY} must be an object of strings, got ${JSON.stringify(value)}`);
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string')
      throw new SafetensorsError(`safetensors: ${METADATA_KEY} '${key}' must be a string, got ${JSON.stringify(entry)}`);
    metadata[key] = entry;
  }
  return metadata;
}

/** Converts `elements` values of `dtype` starting at byte `start` to float32; F16 and BF16 bit-exactly (NaN payloads too). */
function decode(dtype: SafetensorsDType, bytes: Uint8Array, start: number, elements: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, elements * BYTES_PER_ELEMENT[dtype]);
  const out = new Float32Array(elements);
  const bits = new Uint32Array(out.buffer);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) {
        new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      } else {
        for (let i = 0; i < elements; i++) out[i] = view.getFloat32(4 * i, true);
      }
      break;
    case 'BF16':
      for (let i = 0; i < elements; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    case 'F16':
      for (let i = 0; i < elements; i++) bits[i] = halfToFloatBits(view.getUint16(2 * i, true));
      break;
    case 'F64':
      for (let i = 0; i < elements; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < elements; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      break;
  }
  return out;
}

/** IEEE binary16 bits to binary32 bits: exact for every value, subnormals normalised, NaN payloads kept. */
export function halfToFloatBits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  let mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: value = mantissa x 2^-24; shift the leading one into the implicit position.
  let e = 113;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON string literal as serde_json writes it (same escapes as JSON.stringify for well-formed strings). */
function jsonString(text: string, what: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    throw new SafetensorsError(
      `safetensors: ${what} ${JSON.stringify(text)} contains a lone UTF-16 surrogate and cannot be written as UTF-8`,
    );
  }
  return JSON.stringify(text);
}

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes, as Rust's string ordering does. */
function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const difference = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function count(n: number): string {
  return n === 1 ? '1 tensor' : `${n} tensors`;
}
