// Batch normalization through engine.batchNorm: batch statistics, output and running statistics (train), and eval mode.
import { Random, ShapeError, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

/** Batch mean of float32 data summed in float32 partial sums (WebGPU) or float64 (wasm). */
const meanTolerance: Tolerance = { atol: 1e-6, rtol: 2e-6 };
/** Biased variance: a float32 two-pass or Welford variance; a one-pass E[x²] - E[x]² fails the offset case by far. */
const varianceTolerance: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Output (x - mean) / sqrt(var + eps) * gamma + beta of magnitude up to ~10, in float32, from the same statistics. */
const outputTolerance: Tolerance = { atol: 1e-5, rtol: 1e-5 };
/** Running statistics: two scales and an add in float32 on top of the batch statistics' own error. */
const runningTolerance: Tolerance = { atol: 1e-6, rtol: 2e-5 };

interface Parameters {
  gamma: Float32Array;
  beta: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

function parameters(C: number, rng: Random): Parameters {
  return {
    gamma: rng.uniformArray(C, 0.5, 1.5),
    beta: rng.uniformArray(C, -0.5, 0.5),
    runningMean: rng.uniformArray(C, -1, 1),
    runningVar: rng.uniformArray(C, 0.5, 2),
  };
}

function tensors(engine: Engine, p: Parameters) {
  const C = p.gamma.length;
  return {
    gamma: engine.tensor(p.gamma, [C]),
    beta: engine.tensor(p.beta, [C]),
    runningMean: engine.tensor(p.runningMean, [C]),
    runningVar: engine.tensor(p.runningVar, [C]),
  };
}

/** Runs a train-mode batch norm and checks everything it returns; the running update is computed here by hand. */
async function checkTraining(engine: Engine, shape: number[], x: Float32Array, label: string): Promise<void> {
  const C = shape[1];
  const count = x.length / C;
  const p = parameters(C, new Random(x.length + 7));
  const momentum = 0.2;
  const eps = 1e-3;
  const result = engine.batchNorm(engine.tensor(x, shape), { ...tensors(engine, p), momentum, eps });
  const [mean, variance] = referenceOp('moments', { x }, {}, { x: shape });
  const batchMean = await result.mean!.read();
  const batchVariance = await result.variance!.read();
  assertClose(batchMean, mean, meanTolerance, `${label}: batch mean`);
  assertClose(batchVariance, variance, varianceTolerance, `${label}: batch variance`);
  // The output is checked against the statistics the engine returned: it moves by 1/std per unit of mean error.
  const inputs = { x, mean: batchMean, variance: batchVariance, gamma: p.gamma, beta: p.beta };
  const [output] = referenceOp('batchNormApply', inputs, { eps }, { x: shape });
  assertClose(await result.output.read(), output, outputTolerance, `${label}: output`);
  const unbiased = count > 1 ? count / (count - 1) : 1;
  const expectedMean = p.runningMean.map((r, c) => (1 - momentum) * r + momentum * mean[c]);
  const expectedVar = p.runningVar.map((r, c) => (1 - momentum) * r + momentum * variance[c] * unbiased);
  assertClose(await result.runningMean!.read(), expectedMean, runningTolerance, `${label}: running mean`);
  assertClose(await result.runningVar!.read(), expectedVar, runningTolerance, `${label}: running variance (unbiased)`);
}

const trainShapes: number[][] = [
  [7, 5],
  [128, 33],
  [3, 4, 5, 7],
  [16, 8, 33, 33],
  [2, 3, 2, 3, 2],
];

const trainCases: TestCase[] = trainShapes.map((shape) => ({
  name: `train mode on [${shape.join(', ')}]`,
  async run(engine) {
    const size = shape.reduce((p, q) => p * q, 1);
    await checkTraining(engine, shape, new Random(size).normalArray(size, 0.5, 2), `[${shape.join(', ')}]`);
  },
}));

export const batchNormGroup: TestGroup = {
  name: 'batch norm',
  cases: [
    {
      name: 'train mode, hand-computed [2, 2] example',
      async run(engine) {
        // Columns [1, 3] and [2, 6]: means 2 and 4, biased variances 1 and 4, unbiased 2 and 8.
        const x = engine.tensor([1, 2, 3, 6], [2, 2]);
        const result = engine.batchNorm(x, {
          gamma: engine.tensor([1, 2], [2]),
          beta: engine.tensor([0, 1], [2]),
          runningMean: engine.tensor([0, 0], [2]),
          runningVar: engine.tensor([1, 1], [2]),
          eps: 1e-5,
        });
        const tolerance = { atol: 1e-6, rtol: 1e-6 };
        assertClose(await result.mean!.read(), [2, 4], tolerance, 'batch mean');
        assertClose(await result.variance!.read(), [1, 4], tolerance, 'batch variance');
        const s0 = 1 / Math.sqrt(1 + 1e-5);
        const s1 = 2 / Math.sqrt(4 + 1e-5);
        assertClose(await result.output.read(), [-s0, -2 * s1 + 1, s0, 2 * s1 + 1], tolerance, 'output');
        // Momentum 0.1: 0.9 * running + 0.1 * batch, with the unbiased variance for the running variance.
        assertClose(await result.runningMean!.read(), [0.2, 0.4], tolerance, 'running mean');
        assertClose(await result.runningVar!.read(), [0.9 + 0.1 * 2, 0.9 + 0.1 * 8], tolerance, 'running variance');
      },
    },
    ...trainCases,
    {
      name: 'train mode on data far from zero (mean 1000, std 1): variance without cancellation',
      async run(engine) {
        const shape = [64, 6, 7, 7];
        const size = shape.reduce((p, q) => p * q, 1);
        await checkTraining(engine, shape, new Random(3).normalArray(size, 1000, 1), 'offset data');
      },
    },
    {
      name: 'one value per channel: zero variance, output equals beta, running variance keeps the biased value',
      async run(engine) {
        const shape = [1, 3, 1, 1];
        await checkTraining(engine, shape, Float32Array.of(-1, 0.5, 7), '[1, 3, 1, 1]');
        const beta = Float32Array.of(0.25, -0.5, 2);
        const result = engine.batchNorm(engine.tensor(Float32Array.of(-1, 0.5, 7), shape), {
          ...tensors(engine, parameters(3, new Random(1))),
          beta: engine.tensor(beta, [3]),
        });
        assertClose(await result.output.read(), beta, { atol: 0, rtol: 0 }, 'output of a constant channel');
      },
    },
    {
      name: 'eval mode normalizes with the running statistics and returns only the output',
      async run(engine) {
        for (const shape of [
          [9, 300],
          [3, 5, 6, 7],
        ]) {
          const size = shape.reduce((p, q) => p * q, 1);
          const C = shape[1];
          const rng = new Random(size);
          const x = rng.normalArray(size);
          const p = parameters(C, rng);
          const result = engine.batchNorm(engine.tensor(x, shape), { ...tensors(engine, p), training: false, eps: 1e-5 });
          if (result.mean || result.variance || result.runningMean || result.runningVar) {
            throw new Error('eval-mode batchNorm returned batch or running statistics');
          }
          const inputs = { x, mean: p.runningMean, variance: p.runningVar, gamma: p.gamma, beta: p.beta };
          const [expected] = referenceOp('batchNormApply', inputs, { eps: 1e-5 }, { x: shape });
          assertClose(await result.output.read(), expected, outputTolerance, `eval [${shape.join(', ')}]`);
        }
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads, train and eval',
      backends: ['wasm'],
      async run(engine) {
        const cases = [
          [16, 8, 33, 33],
          [600, 70],
          [128, 40, 3, 3],
        ].map((shape) => {
          const size = shape.reduce((p, q) => p * q, 1);
          const rng = new Random(size);
          return { shape, x: rng.normalArray(size, 0.5, 2), p: parameters(shape[1], rng) };
        });
        await expectSameBitsOnThreadCounts('batchNorm', engine, async (engine) => {
          const reads: Promise<Float32Array>[] = [];
          for (const { shape, x, p } of cases) {
            const xt = engine.tensor(x, shape);
            const train = engine.batchNorm(xt, { ...tensors(engine, p), momentum: 0.2 });
            const evaluation = engine.batchNorm(xt, { ...tensors(engine, p), training: false });
            for (const t of [train.output, train.mean!, train.variance!, train.runningMean!, train.runningVar!, evaluation.output]) {
              reads.push(t.read());
            }
          }
          return Promise.all(reads);
        });
      },
    },
    {
      name: 'a parameter of the wrong length is a ShapeError naming batchNorm and the tensor',
      async run(engine) {
        const p = tensors(engine, parameters(4, new Random(2)));
        try {
          engine.batchNorm(engine.zeros([2, 4, 3, 3]), { ...p, gamma: engine.zeros([3]), training: false });
        } catch (error) {
          if (error instanceof ShapeError && /batchNorm.*'gamma'.*gamma \[3\]/.test(error.message)) return;
          throw new Error(`expected a ShapeError naming batchNorm and gamma, got ${String(error)}`);
        }
        throw new Error('batchNorm with a [3] gamma on 4 channels did not throw');
      },
    },
  ],
};
