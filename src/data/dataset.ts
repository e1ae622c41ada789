// An in-memory labelled data set (float32 inputs, int32 labels) and its mini-batch iterator with seeded shuffling.
import { Random } from '../random.js';
import type { ChannelStatistics, DatasetName, Split } from './catalog.js';
import { DataError } from './errors.js';

/** How pixel bytes become inputs: raw 0-255, scaled to [0, 1], or standardised per channel with the training-set statistics. */
export type Normalization = 'none' | 'unit' | 'standard';

export interface BatchOptions {
  /** Visit samples in a seeded random order (a fresh permutation per call); default false: dataset order. */
  shuffle?: boolean;
  /** Seed of the permutation when shuffling (default 0); pass a different seed per epoch for different orders. */
  seed?: number;
  /** A generator to draw the permutation from instead of `seed` (continues its sequence across epochs). */
  random?: Random;
  /** Skip the last batch when it has fewer than batchSize samples; default false. */
  dropLast?: boolean;
}

/** One mini-batch. Views: without shuffling they alias the dataset; with shuffling, a buffer reused by the next batch. */
export interface Batch {
  /** [count, ...shape] row-major. */
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
  /** Position of this batch in the epoch (0, 1, ...). */
  index: number;
}

export class Dataset {
  /** Features per sample (the product of `shape`). */
  readonly features: number;
  readonly count: number;

  constructor(
    readonly name: DatasetName,
    readonly split: Split,
    /** [count, ...shape] row-major; NCHW for images. */
    readonly inputs: Float32Array,
    readonly labels: Int32Array,
    /** Per-sample shape, e.g. [1, 28, 28] or [3, 32, 32]. */
    readonly shape: number[],
    readonly classes: string[],
    /** The files the samples were read from, in order. */
    readonly source: string[],
    readonly normalization: Normalization,
    /** The per-channel statistics 'standard' normalisation uses (training-set values, also for the test split). */
    readonly statistics: ChannelStatistics,
  ) {
    this.features = shape.reduce((a, b) => a * b, 1);
    this.count = labels.length;
    if (inputs.length !== this.count * this.features) {
      throw new DataError('', `${name} ${split}: ${inputs.length} input values for ${this.count} samples of ${this.features}`);
    }
  }

  /** The samples [start, end) as a dataset of their own (views of this one's arrays, no copy). */
  slice(start: number, end = this.count): Dataset {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.count || start >= end) {
      throw new DataError('', `${this.name} ${this.split}: slice(${start}, ${end}) must satisfy 0 <= start < end <= ${this.count}`);
    }
    return new Dataset(
      this.name,
      this.split,
      this.inputs.subarray(start * this.features, end * this.features),
      this.labels.subarray(start, end),
      [...this.shape],
      [...this.classes],
      this.source,
      this.normalization,
      this.statistics,
    );
  }

  /** Number of batches one epoch yields with these settings. */
  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.count / batchSize) : Math.ceil(this.count / batchSize);
  }

  /**
   * Mini-batches covering every sample once. Without shuffling, batches are subarray views of the dataset (no copy);
   * with shuffling, each batch is gathered into one buffer that the next batch overwrites: copy what you keep.
   */
  *batches(batchSize: number, options: BatchOptions = {}): Generator<Batch, void, undefined> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DataError('', `${this.name} ${this.split}: batches(batchSize): batchSize must be a positive integer, got ${batchSize}`);
    }
    const { shuffle = false, dropLast = false } = options;
    const total = this.batchCount(batchSize, dropLast);
    const features = this.features;
    if (!shuffle) {
      for (let index = 0; index < total; index++) {
        const start = index * batchSize;
        const end = Math.min(start + batchSize, this.count);
        yield {
          inputs: this.inputs.subarray(start * features, end * features),
          labels: this.labels.subarray(start, end),
          count: end - start,
          index,
        };
      }
      return;
    }
    const order = permutation(this.count, options.random ?? new Random(options.seed ?? 0));
    const inputBuffer = new Float32Array(Math.min(batchSize, this.count) * features);
    const labelBuffer = new Int32Array(Math.min(batchSize, this.count));
    for (let index = 0; index < total; index++) {
      const start = index * batchSize;
      const count = Math.min(batchSize, this.count - start);
      for (let i = 0; i < count; i++) {
        const sample = order[start + i];
        inputBuffer.set(this.inputs.subarray(sample * features, (sample + 1) * features), i * features);
        labelBuffer[i] = this.labels[sample];
      }
      yield { inputs: inputBuffer.subarray(0, count * features), labels: labelBuffer.subarray(0, count), count, index };
    }
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Converts pixel bytes [n, channels, planeSize] to float32 with the chosen normalisation. */
export function pixelsToInputs(
  pixels: Uint8Array,
  channels: number,
  planeSize: number,
  normalization: Normalization,
  statistics: ChannelStatistics,
): Float32Array {
  const out = new Float32Array(pixels.length);
  if (normalization === 'none') {
    out.set(pixels);
    return out;
  }
  // A lookup table per channel: 256 entries make the conversion one load per pixel.
  const tables: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const table = new Float32Array(256);
    const mean = normalization === 'standard' ? statistics.mean[c] : 0;
    const std = normalization === 'standard' ? statistics.std[c] : 1;
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / std;
    tables.push(table);
  }
  for (let planeStart = 0, plane = 0; planeStart < pixels.length; planeStart += planeSize, plane++) {
    const table = tables[plane % channels];
    const planeEnd = planeStart + planeSize;
    for (let i = planeStart; i < planeEnd; i++) out[i] = table[pixels[i]];
  }
  return out;
}
