// Data-file parsers (IDX raw and gzip, CIFAR-10 binary batches), their malformed-file errors, and Dataset.batches.
import { DataError, Dataset, data } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

/** An unsigned-byte IDX file: big-endian magic, dimensions, then the data. */
export function buildIdx(magic: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((dim, d) => view.setUint32(4 + 4 * d, dim, false));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

/** Gzip through the web-standard CompressionStream (Node 20, Deno and browsers). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** CIFAR-10 records: label byte then 3072 pixels, pixel p of record r = (r * 7 + p) mod 256. */
export function buildCifar(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, r) => {
    out[r * 3073] = label;
    for (let p = 0; p < 3072; p++) out[r * 3073 + 1 + p] = (r * 7 + p) % 256;
  });
  return out;
}

/** Awaits `fn`, which must reject (or throw) a DataError whose message holds every fragment. */
export async function expectDataError(fn: () => unknown, fragments: string[]): Promise<DataError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected DataError with ${JSON.stringify(fragments)}, but nothing was thrown`);
  if (!(caught instanceof DataError)) throw new Error(`expected DataError, got ${String(caught)}`);
  for (const fragment of fragments) {
    if (!caught.message.includes(fragment)) throw new Error(`DataError message lacks '${fragment}': ${caught.message}`);
  }
  return caught;
}

export function expectEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${label}[${i}] is ${actual[i]}, expected ${expected[i]}`);
  }
}

const IMAGES = 0x00000803;
const LABELS = 0x00000801;
const imagePixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);

/** A small hand-built dataset: sample i has inputs [i, 100 + i] and label i % 3. */
function tinyDataset(count: number): Dataset {
  const inputs = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    inputs[2 * i] = i;
    inputs[2 * i + 1] = 100 + i;
    labels[i] = i % 3;
  }
  return new Dataset('mnist', 'test', inputs, labels, [1, 1, 2], ['a', 'b', 'c'], [], 'none', { mean: [0], std: [1] });
}

/** Every sample index, in the order an epoch visits it (read back from the inputs' first feature). */
function epochOrder(dataset: Dataset, batchSize: number, options: Parameters<Dataset['batches']>[1]): number[] {
  const order: number[] = [];
  for (const batch of dataset.batches(batchSize, options)) {
    if (batch.inputs.length !== batch.count * 2 || batch.labels.length !== batch.count) throw new Error('batch sizes disagree');
    for (let i = 0; i < batch.count; i++) {
      const sample = batch.inputs[2 * i];
      if (batch.inputs[2 * i + 1] !== 100 + sample || batch.labels[i] !== sample % 3) {
        throw new Error(`batch ${batch.index} row ${i} mixes samples`);
      }
      order.push(sample);
    }
  }
  return order;
}

function expectPermutation(order: number[], count: number, label: string): void {
  const seen = new Uint8Array(count);
  for (const sample of order) seen[sample]++;
  if (order.length !== count || seen.some((times) => times !== 1)) {
    throw new Error(`${label}: ${order.length} samples visited, not each of ${count} exactly once`);
  }
}

const cases: TestCase[] = [
  {
    name: 'IDX images and labels parse, raw and gzip',
    async run() {
      const imageFile = buildIdx(IMAGES, [2, 3, 4], imagePixels);
      const labelFile = buildIdx(LABELS, [2], [7, 3]);
      for (const compressed of [false, true]) {
        const images = await data.parseIdxImages(compressed ? await gzip(imageFile) : imageFile, 'images');
        if (images.count !== 2 || images.rows !== 3 || images.cols !== 4) {
          throw new Error(`dims ${images.count}x${images.rows}x${images.cols}, expected 2x3x4`);
        }
        expectEqualArrays(images.pixels, imagePixels, `pixels (gzip ${compressed})`);
        const labels = await data.parseIdxLabels(compressed ? await gzip(labelFile) : labelFile, 'labels');
        expectEqualArrays(labels, [7, 3], `labels (gzip ${compressed})`);
      }
      if (!data.isGzip(await gzip(labelFile)) || data.isGzip(labelFile)) throw new Error('isGzip misjudges the 1f 8b magic');
      const parsed = data.parseIdx(imageFile, IMAGES, 'images');
      expectEqualArrays(parsed.dims, [2, 3, 4], 'parseIdx dims');
      if (parsed.data.buffer !== imageFile.buffer) throw new Error('parseIdx copied the data instead of returning a view');
    },
  },
  {
    name: 'IDX errors: truncated header, wrong magic, byte count, corrupt gzip',
    async run() {
      const imageFile = buildIdx(IMAGES, [2, 3, 4], imagePixels);
      await expectDataError(
        () => data.parseIdxImages(imageFile.subarray(0, 10), 'short.idx'),
        ['short.idx', 'truncated IDX header', '10 bytes', 'expected 16'],
      );
      await expectDataError(() => data.parseIdxImages(imageFile.subarray(0, 3), 'tiny.idx'), ['tiny.idx', 'truncated', '3 bytes']);
      await expectDataError(
        () => data.parseIdxImages(buildIdx(LABELS, [2], [1, 2]), 'labels.idx'),
        ['labels.idx', 'wrong IDX magic 0x00000801', 'expected 0x00000803'],
      );
      await expectDataError(
        () => data.parseIdxLabels(new TextEncoder().encode('not an idx file'), 'text.idx'),
        ['text.idx', 'wrong IDX magic 0x6e6f7420', 'expected 0x00000801'],
      );
      await expectDataError(
        () => data.parseIdxImages(imageFile.subarray(0, imageFile.length - 1), 'cut.idx'),
        ['cut.idx', '[2, 3, 4]', 'need 24 data bytes', 'found 23'],
      );
      const extra = new Uint8Array(imageFile.length + 5);
      extra.set(imageFile);
      await expectDataError(() => data.parseIdxImages(extra, 'long.idx'), ['long.idx', 'need 24 data bytes', 'found 29']);
      const compressed = await gzip(imageFile);
      const corrupt = compressed.slice();
      for (let i = 10; i < corrupt.length - 8; i++) corrupt[i] ^= 0x5a;
      await expectDataError(() => data.parseIdxImages(corrupt, 'corrupt.gz'), ['corrupt.gz', 'corrupt gzip data']);
      await expectDataError(
        () => data.parseIdxImages(compressed.subarray(0, compressed.length - 12), 'cut.gz'),
        ['cut.gz', 'corrupt gzip data'],
      );
    },
  },
  {
    name: 'CIFAR-10 batches parse any whole number of records, CHW',
    async run() {
      const file = buildCifar([3, 8, 0]);
      const batch = data.parseCifar10Batch(file, 'three.bin');
      if (batch.count !== 3) throw new Error(`count ${batch.count}, expected 3`);
      expectEqualArrays(batch.labels, [3, 8, 0], 'labels');
      const expected = new Uint8Array(3 * 3072);
      for (let r = 0; r < 3; r++) for (let p = 0; p < 3072; p++) expected[r * 3072 + p] = (r * 7 + p) % 256;
      expectEqualArrays(batch.pixels, expected, 'pixels');
      const limited = data.parseCifar10Batch(file, 'three.bin', 2);
      if (limited.count !== 2 || limited.pixels.length !== 2 * 3072) throw new Error('limit 2 did not keep 2 records');
      const empty = data.parseCifar10Batch(new Uint8Array(0), 'empty.bin');
      if (empty.count !== 0) throw new Error('an empty file should hold 0 records');
    },
  },
  {
    name: 'CIFAR-10 errors: size not a multiple of 3073, label out of range',
    async run() {
      const file = buildCifar([1, 2]);
      await expectDataError(
        () => data.parseCifar10Batch(file.subarray(0, 6000), 'cut.bin'),
        ['cut.bin', 'size 6000 bytes is not a multiple of the 3073-byte', '1 whole records and 2927 extra bytes'],
      );
      const badLabel = file.slice();
      badLabel[3073] = 10;
      await expectDataError(() => data.parseCifar10Batch(badLabel, 'label.bin'), ['label.bin', 'record 1', 'label 10', 'expected 0-9']);
    },
  },
  {
    name: 'batches: views in order, seeded shuffles cover every sample once',
    async run() {
      const dataset = tinyDataset(10);
      const inOrder = epochOrder(dataset, 4, {});
      expectEqualArrays(inOrder, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'unshuffled order');
      const first = dataset.batches(4).next().value;
      if (!first || first.inputs.buffer !== dataset.inputs.buffer) throw new Error('unshuffled batches must be views of the dataset');
      const counts = [...dataset.batches(4)].map((batch) => batch.count);
      expectEqualArrays(counts, [4, 4, 2], 'batch counts');
      expectEqualArrays(
        [...dataset.batches(4, { dropLast: true })].map((batch) => batch.count),
        [4, 4],
        'dropLast batch counts',
      );
      const shuffled = epochOrder(dataset, 3, { shuffle: true, seed: 7 });
      expectPermutation(shuffled, 10, 'seed 7');
      expectEqualArrays(epochOrder(dataset, 3, { shuffle: true, seed: 7 }), shuffled, 'same seed, same order');
      const other = epochOrder(dataset, 3, { shuffle: true, seed: 8 });
      expectPermutation(other, 10, 'seed 8');
      if (other.join() === shuffled.join()) throw new Error('seeds 7 and 8 gave the same order');
      if (shuffled.join() === inOrder.join()) throw new Error('shuffling left the dataset order unchanged');
      const big = tinyDataset(1000);
      expectPermutation(epochOrder(big, 64, { shuffle: true, seed: 1 }), 1000, '1000 samples, batch 64');
      await expectDataError(() => [...dataset.batches(0)], ['batchSize must be a positive integer, got 0']);
    },
  },
];

export const dataParsersGroup: TestGroup = {
  name: 'data parsers',
  cases: cases.map((testCase) => ({ ...testCase, backends: ['wasm'] })),
};
