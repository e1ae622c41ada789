// The safetensors reader and writer: byte layout, round trips, F16/BF16/F64 conversion, malformed files, state-dict checks.
import { Random, SafetensorsError, StateDictError, checkStateDict, parseSafetensors, serializeSafetensors } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectThrows } from './expect.js';

function expectBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} bytes, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${label}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Compares float32 arrays bit for bit (NaN payloads and signed zeros included). */
function expectBits(actual: Float32Array, expected: Float32Array | Uint32Array, label: string): void {
  const actualBits = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const expectedBits = expected instanceof Uint32Array ? expected : new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  if (actualBits.length !== expectedBits.length) throw new Error(`${label}: ${actualBits.length} values, expected ${expectedBits.length}`);
  for (let i = 0; i < actualBits.length; i++) {
    if (actualBits[i] !== expectedBits[i]) {
      throw new Error(`${label}[${i}]: bits 0x${actualBits[i].toString(16)}, expected 0x${expectedBits[i].toString(16)}`);
    }
  }
}

function expectShape(actual: readonly number[] | undefined, expected: number[], label: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${label}: shape ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/** A file from a header (JSON text, or an object to stringify) and a data buffer; headerLength overrides the prefix. */
function buildFile(header: string | object | Uint8Array, buffer: Uint8Array | number[] = [], headerLength?: number): Uint8Array {
  const json =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}

/** Little-endian bytes of 16-bit patterns. */
function halves(bits: number[]): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => view.setUint16(2 * i, b, true));
  return out;
}

function onlyTensor(bytes: Uint8Array, name: string) {
  const tensor = parseSafetensors(bytes).tensors.get(name);
  if (!tensor) throw new Error(`tensor '${name}' missing from the parsed file`);
  return tensor;
}

function malformed(name: string, bytes: () => Uint8Array, fragments: string[]): TestCase {
  return {
    name: `malformed: ${name}`,
    async run() {
      expectThrows(() => parseSafetensors(bytes()), SafetensorsError, fragments);
    },
  };
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

export const safetensorsGroup: TestGroup = {
  name: 'safetensors',
  cases: [
    {
      name: 'writes the exact byte layout of the Python library: sorted names, compact JSON, header padded with spaces to 8 bytes',
      async run() {
        const bytes = serializeSafetensors({
          w: { shape: [2], data: Float32Array.from([1, -2]) },
          b: { shape: [1], data: Float32Array.from([0.5]) },
        });
        // The header, by hand: 108 bytes of JSON, padded with 4 spaces to 112 = 0x70.
        const json = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
        const expected = [
          ...[0x70, 0, 0, 0, 0, 0, 0, 0],
          ...[...json].map((c) => c.charCodeAt(0)),
          ...[0x20, 0x20, 0x20, 0x20],
          ...[0x00, 0x00, 0x00, 0x3f], // b[0] = 0.5
          ...[0x00, 0x00, 0x80, 0x3f], // w[0] = 1
          ...[0x00, 0x00, 0x00, 0xc0], // w[1] = -2
        ];
        expectBytes(bytes, Uint8Array.from(expected), 'serialized file');
      },
    },
    {
      name: 'metadata comes first with sorted keys, and names sort by code point (UTF-8 order) as in Rust',
      async run() {
        const one = new Float32Array(1);
        const bytes = serializeSafetensors(
          { '\u{1F600}': { shape: [1], data: one }, '\uFFFF': { shape: [1], data: one }, a: { shape: [1], data: one } },
          { z: '1', format: 'pt' },
        );
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        if (headerLength % 8 !== 0) throw new Error(`header length ${headerLength} is not a multiple of 8`);
        const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
        const expected =
          '{"__metadata__":{"format":"pt","z":"1"},' +
          '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
          '"\uFFFF":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},' +
          '"\u{1F600}":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
        if (header.trimEnd() !== expected) throw new Error(`header ${JSON.stringify(header)}, expected ${JSON.stringify(expected)}`);
        if (!/^ *$/.test(header.slice(expected.length))) throw new Error(`header padding is not spaces: ${JSON.stringify(header)}`);
      },
    },
    {
      name: 'round trip keeps names, shapes, metadata and every value bit for bit (NaN, -0, infinities, subnormals, empty tensors)',
      async run() {
        const random = new Random(11);
        const special = Float32Array.from([NaN, -0, 0, Infinity, -Infinity, 1e-45, -1.17549435e-38, 3.4028235e38]);
        const tensors = {
          '0.weight': { shape: [33, 17], data: random.normalArray(33 * 17) },
          '0.bias': { shape: [33], data: random.uniformArray(33) },
          'conv.weight': { shape: [4, 3, 2, 2], data: random.normalArray(48) },
          special: { shape: [2, 4], data: special },
          scalar: { shape: [], data: Float32Array.from([42]) },
          empty: { shape: [0, 5], data: new Float32Array(0) },
        };
        const metadata = { format: 'pt', note: 'quotes " and\nnewlines, ünïcödé' };
        const bytes = serializeSafetensors(tensors, metadata);
        // Parse from an unaligned view inside a larger buffer, as a fetched or sliced file may be.
        const padded = new Uint8Array(bytes.length + 3);
        padded.set(bytes, 3);
        const file = parseSafetensors(padded.subarray(3));
        const names = [...file.tensors.keys()];
        if (names.join() !== '0.bias,0.weight,conv.weight,empty,scalar,special') throw new Error(`tensor order ${names.join()}`);
        for (const [name, { shape, data }] of Object.entries(tensors)) {
          const found = file.tensors.get(name)!;
          if (found.dtype !== 'F32') throw new Error(`${name}: dtype ${found.dtype}`);
          expectShape(found.shape, shape, name);
          expectBits(found.data, data, name);
        }
        if (JSON.stringify(file.metadata) !== JSON.stringify(metadata)) throw new Error(`metadata ${JSON.stringify(file.metadata)}`);
        if (Object.keys(parseSafetensors(serializeSafetensors({})).metadata).length !== 0) throw new Error('empty file has metadata');
      },
    },
    {
      name: 'F16 converts to float32 exactly: normals, subnormals, extremes, infinities, signed zero, NaN payloads',
      async run() {
        const patterns = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0400, 0x03ff, 0x0001, 0x8001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe5a];
        const expected = new Float32Array([
          1,
          -2,
          0.333251953125,
          65504,
          2 ** -14,
          1023 * 2 ** -24,
          2 ** -24,
          -(2 ** -24),
          -0,
          Infinity,
          -Infinity,
        ]);
        const expectedBits = new Uint32Array(patterns.length);
        expectedBits.set(new Uint32Array(expected.buffer));
        // NaNs: the 10-bit payload moves to the top of float32's 23-bit mantissa.
        expectedBits.set([0x7fc00000, 0x7f802000, 0xffcb4000], expected.length);
        const tensor = onlyTensor(buildFile({ h: { dtype: 'F16', shape: [2, 7], data_offsets: [0, 28] } }, halves(patterns)), 'h');
        if (tensor.dtype !== 'F16') throw new Error(`dtype ${tensor.dtype}`);
        expectShape(tensor.shape, [2, 7], 'h');
        expectBits(tensor.data, expectedBits, 'F16 -> F32');
      },
    },
    {
      name: 'BF16 converts to float32 exactly (the upper 16 bits), and F64 rounds to nearest float32',
      async run() {
        const patterns = [0x3f80, 0xc040, 0x4049, 0x7f7f, 0x0001, 0x8000, 0x7f80, 0xff80, 0x7fc1];
        const bf16 = onlyTensor(buildFile({ b: { dtype: 'BF16', shape: [9], data_offsets: [0, 18] } }, halves(patterns)), 'b');
        expectBits(
          bf16.data,
          Uint32Array.from(patterns, (p) => p << 16),
          'BF16 -> F32',
        );
        if (bf16.data[2] !== 3.140625 || bf16.data[4] !== 2 ** -133) throw new Error(`BF16 values ${Array.from(bf16.data)}`);

        const doubles = [0.1, -1 / 3, 1e300, -1e-50, 2 ** -149, 16777217, Math.PI];
        const buffer = new Uint8Array(doubles.length * 8);
        doubles.forEach((d, i) => new DataView(buffer.buffer).setFloat64(8 * i, d, true));
        const f64 = onlyTensor(buildFile({ d: { dtype: 'F64', shape: [7], data_offsets: [0, 56] } }, buffer), 'd');
        expectBits(f64.data, Float32Array.from(doubles.map(Math.fround)), 'F64 -> F32');
        if (f64.data[2] !== Infinity || !Object.is(f64.data[3], -0) || f64.data[5] !== 16777216)
          throw new Error(`F64 values ${Array.from(f64.data)}`);
      },
    },
    {
      name: 'mixed dtypes in one file, tensors returned in file order',
      async run() {
        const buffer = new Uint8Array(4 + 4 + 2);
        new DataView(buffer.buffer).setFloat32(0, 2.5, true);
        buffer.set(halves([0x3c00, 0xbc00]), 4);
        buffer.set(halves([0x4000]), 8);
        const file = parseSafetensors(
          buildFile(
            {
              z: f32([1], 0, 4),
              a: { dtype: 'F16', shape: [2], data_offsets: [4, 8] },
              m: { dtype: 'BF16', shape: [], data_offsets: [8, 10] },
            },
            buffer,
          ),
        );
        if ([...file.tensors.keys()].join() !== 'z,a,m') throw new Error(`order ${[...file.tensors.keys()].join()}`);
        expectBits(file.tensors.get('z')!.data, Float32Array.from([2.5]), 'z');
        expectBits(file.tensors.get('a')!.data, Float32Array.from([1, -1]), 'a');
        expectBits(file.tensors.get('m')!.data, Float32Array.from([2]), 'm');
      },
    },
    malformed('a file shorter than the 8-byte length prefix', () => new Uint8Array(5), ['5 bytes', '8-byte little-endian header length']),
    malformed('a header length past the end of the file', () => buildFile('{}', [], 100), ['header length is 100', 'only 2 bytes follow']),
    malformed('a header length of 2^64 - 1', () => new Uint8Array(16).fill(0xff, 0, 8), [
      'header length is 18446744073709551615',
      'only 8 bytes',
    ]),
    malformed('a header that is not JSON', () => buildFile('{"a": }'), ['header is not valid JSON']),
    malformed('a header that is not a JSON object', () => buildFile('[1, 2]'), ["JSON object starting with '{'", '"[1, 2]"']),
    malformed('a header that is not UTF-8', () => buildFile(new Uint8Array([0x7b, 0xff, 0x7d])), ['not valid UTF-8']),
    malformed('overlapping data_offsets', () => buildFile({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, new Uint8Array(12)), [
      "tensor 'b'",
      '[4, 12]',
      "overlap tensor 'a'",
      'ends at byte 8',
    ]),
    malformed('data_offsets past the end of the buffer', () => buildFile({ a: f32([2], 0, 8) }, new Uint8Array(4)), [
      "tensor 'a'",
      '[0, 8]',
      'past the end of the 4-byte data buffer',
    ]),
    malformed('data_offsets that end before they begin', () => buildFile({ a: f32([0], 4, 0) }, new Uint8Array(4)), [
      "tensor 'a'",
      'end before they begin',
    ]),
    malformed('a byte size that does not match dtype x shape', () => buildFile({ a: f32([3], 0, 8) }, new Uint8Array(8)), [
      "tensor 'a'",
      'span 8 bytes',
      'F32 [3] needs 3 x 4 = 12 bytes',
    ]),
    malformed('an unknown dtype', () => buildFile({ q: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, new Uint8Array(1)), [
      "tensor 'q'",
      'dtype Q4 is not supported',
      'F32, F16, BF16, F64',
    ]),
    malformed('bytes that belong to no tensor', () => buildFile({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12)), [
      'bytes 4 to 8',
      "tensor 'b' starts at 8, expected 4",
    ]),
    malformed('trailing bytes after the last tensor', () => buildFile({ a: f32([1], 0, 4) }, new Uint8Array(6)), [
      'cover 4 bytes',
      'holds 6 bytes',
    ]),
    malformed('a negative or fractional shape', () => buildFile({ a: f32([-1] as number[], 0, 0) }), [
      "tensor 'a'",
      'shape must be an array of non-negative integers',
      '[-1]',
    ]),
    malformed(
      'data_offsets that are not two integers',
      () => buildFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)),
      ["tensor 'a'", 'data_offsets must be [begin, end]', '[0]'],
    ),
    malformed('an entry that is not an object', () => buildFile({ a: 3 }), [
      "tensor 'a'",
      'expected an object {dtype, shape, data_offsets}',
    ]),
    malformed('metadata that is not strings', () => buildFile({ __metadata__: { epochs: 3 } }), [
      "__metadata__ 'epochs' must be a string",
      '3',
    ]),
    {
      name: 'writing rejects data that does not match the shape, non-Float32Array data and the reserved name',
      async run() {
        expectThrows(() => serializeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }), SafetensorsError, [
          "tensor 'w'",
          'shape [2, 3] holds 6 values, but its data has 5',
        ]);
        expectThrows(() => serializeSafetensors({ w: { shape: [2], data: [1, 2] as unknown as Float32Array } }), SafetensorsError, [
          "tensor 'w' data must be a Float32Array",
        ]);
        expectThrows(() => serializeSafetensors({ __metadata__: { shape: [0], data: new Float32Array(0) } }), SafetensorsError, [
          "'__metadata__' is reserved",
        ]);
        expectThrows(() => serializeSafetensors({}, { n: 3 as unknown as string }), SafetensorsError, ["metadata 'n' must be a string"]);
      },
    },
    {
      name: 'checkStateDict lists missing, unexpected and misshapen tensors with their shapes in one error',
      async run() {
        const expected = { '0.weight': [4, 3], '0.bias': [4], '2.weight': [2, 4], '2.bias': [2], '4.bias': [7] };
        const file = parseSafetensors(
          serializeSafetensors({
            '0.weight': { shape: [3, 4], data: new Float32Array(12) },
            '0.bias': { shape: [4], data: new Float32Array(4) },
            '2.weight': { shape: [2, 4], data: new Float32Array(8) },
            extra: { shape: [1, 1], data: new Float32Array(1) },
          }),
        );
        const error = expectThrows(() => checkStateDict(expected, file.tensors, 'model.safetensors'), StateDictError, [
          "model.safetensors does not match the model's parameters",
          "missing 2 tensors: '2.bias' [2], '4.bias' [7]",
          "unexpected 1 tensor: 'extra' [1, 1]",
          "misshapen 1 tensor: '0.weight' expected [4, 3], found [3, 4]",
        ]);
        if (error.missing.join() !== '2.bias,4.bias' || error.unexpected.join() !== 'extra' || error.misshapen.join() !== '0.weight') {
          throw new Error(`error fields: ${JSON.stringify({ ...error })}`);
        }
        // A matching state dict, as a Map of tensors or a record of shapes, passes.
        checkStateDict(
          { '0.bias': [4], '2.weight': [2, 4] },
          new Map([...file.tensors].filter(([name]) => name === '0.bias' || name === '2.weight')),
        );
        checkStateDict({ a: [], b: [0, 3] }, { a: [], b: { shape: [0, 3] } });
        expectThrows(() => checkStateDict({ a: [2] }, { a: [2, 1] }), StateDictError, [
          'state dict does not match',
          "'a' expected [2], found [2, 1]",
        ]);
      },
    },
  ],
};
