// Mean squared error through engine.meanSquaredError: per-sample losses, their mean, the gradient, finite differences, shapes.
import { Random, assertClose, referenceOp, type Engine, type Shape, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts, expectShapeError } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

const ULP = 2 ** -24;

/**
 * A loss sums F squares of float32 differences. Each rounded difference is within half an ulp, its rounded square
 * within about 1.5 ulps, and both backends add the squares in at most ceil(F / 256) + 8 steps of float32 addition
 * (WebGPU: a thread's strided terms, then the workgroup tree; WebAssembly: 16 terms per lane, then float64), then one
 * division by F. All terms are non-negative, so the error is relative: (ceil(F / 256) + 20) ulps covers both.
 */
const lossTolerance = (F: number): Tolerance => ({ atol: 0, rtol: (Math.ceil(F / 256) + 20) * ULP });

/**
 * grad = fl(fl(pred - target) * fl(2 / (N F))): three roundings of half an ulp against the reference's one. The
 * absolute floor covers a device that flushes subnormal results to zero.
 */
const gradTolerance: Tolerance = { atol: 2 ** -126, rtol: 4 * ULP };

async function checkAgainstReference(engine: Engine, shape: Shape, pred: Float32Array, target: Float32Array): Promise<void> {
  const label = `[${shape.join(', ')}]`;
  const N = shape[0];
  const F = pred.length / N;
  const { loss, losses, grad } = engine.meanSquaredError(engine.tensor(pred, shape), engine.tensor(target, shape));
  const [expectedLosses, expectedGrad] = referenceOp('meanSquaredError', { pred, target }, {}, { pred: shape, target: shape });
  assertClose(await losses.read(), expectedLosses, lossTolerance(F), `${label}: per-sample losses`);
  if (loss.shape.length !== 0) throw new Error(`${label}: the mean loss has shape [${loss.shape}], expected []`);
  const meanLoss = Array.from(expectedLosses).reduce((sum, v) => sum + v, 0) / N;
  assertClose(await loss.read(), [meanLoss], lossTolerance(F), `${label}: mean loss`);
  if (grad.shape.join() !== shape.join()) throw new Error(`${label}: grad has shape [${grad.shape}], expected ${label}`);
  assertClose(await grad.read(), expectedGrad, gradTolerance, `${label}: gradient of the mean loss`);
}

const shapes: Shape[] = [[1], [1, 1], [7], [3, 5], [4, 3, 2, 2], [64, 10], [2, 1031], [5, 4099]];

const referenceCases: TestCase[] = shapes.map((shape) => ({
  name: `[${shape.join(', ')}] against the reference`,
  async run(engine) {
    const size = shape.reduce((a, b) => a * b, 1);
    const rng = new Random(size + shape.length);
    await checkAgainstReference(engine, shape, rng.uniformArray(size, -3, 3), rng.uniformArray(size, -3, 3));
  },
}));

export const meanSquaredErrorGroup: TestGroup = {
  name: 'mean squared error',
  cases: [
    ...referenceCases,
    {
      name: 'hand-computed: losses are per-sample means and grad is 2 (pred - target) / (N F)',
      async run(engine) {
        const pred = engine.tensor([1, 2, 3, 5], [2, 2]);
        const target = engine.tensor([0, 0, 3, 3], [2, 2]);
        const { loss, losses, grad } = engine.meanSquaredError(pred, target);
        const exact = { atol: 0, rtol: 0 };
        assertClose(await losses.read(), [2.5, 2], exact, 'losses');
        assertClose(await loss.read(), [2.25], exact, 'mean loss (PyTorch MSELoss: 9 / 4)');
        assertClose(await grad.read(), [0.5, 1, 0, 1], exact, 'gradient');
      },
    },
    {
      name: "central finite differences of the reference's mean loss match grad",
      async run(engine) {
        const shape = [3, 2, 4];
        const [N, size] = [shape[0], 24];
        const rng = new Random(31);
        const pred = rng.uniformArray(size, -2, 2);
        const target = rng.uniformArray(size, -2, 2);
        const grad = await engine.meanSquaredError(engine.tensor(pred, shape), engine.tensor(target, shape)).grad.read();
        const meanLoss = (p: Float32Array): number => {
          const [losses] = referenceOp('meanSquaredError', { pred: p, target }, {}, { pred: shape, target: shape });
          return Array.from(losses).reduce((sum, v) => sum + v, 0) / N;
        };
        // The loss is quadratic, so a central difference has no truncation error: what is left is the float32 rounding
        // of the perturbed inputs (divided out by using the actual step) and of the N reference losses (a few ulps of
        // the loss, divided by the step).
        const h = 1 / 16;
        const finiteDifferences = new Float64Array(size);
        let lossScale = 0;
        for (let i = 0; i < size; i++) {
          const plus = Float32Array.from(pred);
          const minus = Float32Array.from(pred);
          plus[i] += h;
          minus[i] -= h;
          const [lossPlus, lossMinus] = [meanLoss(plus), meanLoss(minus)];
          lossScale = Math.max(lossScale, lossPlus, lossMinus);
          finiteDifferences[i] = (lossPlus - lossMinus) / (plus[i] - minus[i]);
        }
        const tolerance = { atol: (4 * ULP * lossScale) / (2 * h), rtol: gradTolerance.rtol };
        assertClose(grad, finiteDifferences, tolerance, 'grad against central differences');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const rng = new Random(11);
        const [N, F] = [64, 1001];
        const pred = rng.uniformArray(N * F, -5, 5);
        const target = rng.uniformArray(N * F, -5, 5);
        await expectSameBitsOnThreadCounts('meanSquaredError', engine, async (engine) => {
          const { loss, losses, grad } = engine.meanSquaredError(engine.tensor(pred, [N, F]), engine.tensor(target, [N, F]));
          return Promise.all([loss.read(), losses.read(), grad.read()]);
        });
      },
    },
    {
      name: 'pred and target of different shapes, or a scalar pred, are ShapeErrors naming meanSquaredError',
      async run(engine) {
        const pred = engine.zeros([4, 3]);
        expectShapeError(
          () => engine.meanSquaredError(pred, engine.zeros([4, 2])),
          'meanSquaredError',
          "'pred' and 'target' must have the same shape",
          'pred [4, 3], target [4, 2]',
        );
        expectShapeError(() => engine.meanSquaredError(pred, engine.zeros([12])), 'pred [4, 3], target [12]');
        const scalar = engine.reshape(engine.zeros([1]), []);
        expectShapeError(() => engine.meanSquaredError(scalar, scalar), 'meanSquaredError', 'batch dimension');
      },
    },
  ],
};
