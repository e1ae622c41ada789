// The seeded 50-step training runs of the parity test: models, compile options and synthetic data, shared by the test
// (test/cases/parity.ts) and the script that writes PyTorch's inputs (test/fixtures/make_parity_inputs.mjs).
import { Random, nn, type CompileOptions, type Sequential } from 'emergence-engine';

/** Training steps of every run. */
export const PARITY_STEPS = 50;

/**
 * θ of the emergence measurements (emergence.measure's default, EMERGENCE.md section 1): a node is active when its mean
 * post-ReLU value over the probe (the run's training inputs) exceeds it.
 */
export const PARITY_THRESHOLD = 0.05;

export interface ParityRun {
  /** Key in test/fixtures/parity.json. */
  name: string;
  /** Prefix of the model's tensors in test/fixtures/parity.safetensors ('mlp' or 'cnn'); runs of one model share weights. */
  model: 'mlp' | 'cnn';
  build(): Sequential;
  options: CompileOptions & { seed: number };
  /** Seed of the synthetic data set. */
  dataSeed: number;
  /** Training samples; step s trains on batch s mod (samples / batchSize), in order. */
  samples: number;
  /** Held-out samples whose eval-mode logits are compared after the last step. */
  evalSamples: number;
  classes: number;
}

// Three hidden layers: with zero-mean inputs and zero biases the first hidden layer starts with every unit active (a
// unit's mean post-ReLU value is about |w| / sqrt(2 pi), far above θ = 0.05), so E over two hidden layers, (n1 - a1) a2,
// would be 0; the third makes E count the paths from the second layer's dead units to the third's live ones.
const mlp = (): Sequential =>
  nn.sequential(nn.linear(32, 64), nn.relu(), nn.linear(64, 64), nn.relu(), nn.linear(64, 32), nn.relu(), nn.linear(32, 10));

// The convolution before batch norm has no bias, as usual: batch norm cancels a bias, so its true gradient is 0 and Adam
// would move it by about ±lr per step on rounding noise alone, which makes the eval-mode output (running mean against
// that bias) differ between any two float implementations. The hidden linear layer after the convolutions is there for
// E, as in the MLP: the first block's channels are all active (batch norm's output has mean 0 and variance 1 before the
// ReLU), so E over the two conv layers alone would be 0.
const cnn = (): Sequential =>
  nn.sequential(
    nn.conv2d(1, 4, 3, { padding: 1, bias: false }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.maxPool2d(2),
    nn.conv2d(4, 8, 3, { stride: 2, padding: 1 }),
    nn.relu(),
    nn.avgPool2d(2),
    nn.flatten(),
    nn.linear(8, 8),
    nn.relu(),
    nn.linear(8, 4),
  );

export const parityRuns: ParityRun[] = [
  {
    name: 'mlp-adam',
    model: 'mlp',
    build: mlp,
    options: {
      inputShape: [32],
      batchSize: 16,
      loss: 'cross-entropy',
      optimizer: { name: 'adam', lr: 1e-3 },
      init: { name: 'kaiming-uniform' },
      seed: 7,
    },
    dataSeed: 11,
    samples: 256,
    evalSamples: 16,
    classes: 10,
  },
  {
    name: 'mlp-sgd',
    model: 'mlp',
    build: mlp,
    options: {
      inputShape: [32],
      batchSize: 16,
      loss: 'cross-entropy',
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
      init: { name: 'kaiming-uniform' },
      seed: 7,
    },
    dataSeed: 11,
    samples: 256,
    evalSamples: 16,
    classes: 10,
  },
  {
    name: 'cnn-adam',
    model: 'cnn',
    build: cnn,
    options: {
      inputShape: [1, 8, 8],
      batchSize: 8,
      loss: 'cross-entropy',
      optimizer: { name: 'adam', lr: 1e-2 },
      init: { name: 'kaiming-uniform' },
      seed: 7,
    },
    dataSeed: 13,
    samples: 128,
    evalSamples: 16,
    classes: 4,
  },
];

export interface ParityData {
  /** [samples, ...inputShape] */
  x: Float32Array;
  labels: Int32Array;
  /** [evalSamples, ...inputShape] */
  evalX: Float32Array;
}

/**
 * A learnable synthetic task: inputs uniform with unit variance, labels the argmax of a random linear teacher. Only
 * uniform draws (exact integer arithmetic in Random), so every JavaScript engine makes the same bits.
 */
export function parityData(run: ParityRun): ParityData {
  const features = run.options.inputShape.reduce((a, b) => a * b, 1);
  const random = new Random(run.dataSeed);
  const bound = Math.sqrt(3);
  const teacher = random.uniformArray(run.classes * features, -bound, bound);
  const x = random.uniformArray(run.samples * features, -bound, bound);
  const evalX = random.uniformArray(run.evalSamples * features, -bound, bound);
  const labels = new Int32Array(run.samples);
  for (let i = 0; i < run.samples; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < run.classes; c++) {
      let score = 0;
      for (let j = 0; j < features; j++) score += teacher[c * features + j] * x[i * features + j];
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    labels[i] = best;
  }
  return { x, labels, evalX };
}

/** The batch of a 0-based step. */
export function parityBatch(run: ParityRun, data: ParityData, step: number): { x: Float32Array; labels: Int32Array } {
  const B = run.options.batchSize;
  const features = data.x.length / run.samples;
  const first = (step % (run.samples / B)) * B;
  return { x: data.x.subarray(first * features, (first + B) * features), labels: data.labels.subarray(first, first + B) };
}

/** FNV-1a (32-bit) over the little-endian bytes of 32-bit values, as 8 hex digits; make_parity.py computes the same. */
export function fnv1a(values: Float32Array | Int32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}
