// engine.sum, mean and max over sets of axes, against a direct host computation over every index of the input.
import { Random, ShapeError, assertClose, type Engine, type ReduceOp, type Tensor, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

/**
 * The inputs are multiples of 1/64 in [-2, 2], so any partial sum below 2^18 in magnitude is exactly representable in
 * float32 (fewer than 2^17 terms always are; the random sums of the million-element case stay within a few thousand):
 * sums are exact in any order, and max only selects. Mean divides once per run of reduced axes and then sums the
 * rounded means, so it may be off by a few roundings of values up to 2 in magnitude.
 */
const exact: Tolerance = { atol: 0, rtol: 0 };
const meanTolerance: Tolerance = { atol: 2 ** -20, rtol: 2 ** -22 };

/** Values on a 1/64 grid in [-2, 2]. */
function gridValues(size: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: size }, () => (rng.int(257) - 128) / 64);
}

/** Reduces `values` of `shape` over `axes` (any order, negative allowed) by visiting every index; float64 sums. */
function reduceOnHost(values: Float32Array, shape: number[], axes: number[], op: ReduceOp): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = shape.filter((_, axis) => !reduced.has(axis));
  const outSize = outShape.reduce((p, q) => p * q, 1);
  const sums = new Float64Array(outSize);
  const maxima = new Float64Array(outSize).fill(-Infinity);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let target = 0;
    for (let axis = 0; axis < rank; axis++) if (!reduced.has(axis)) target = target * shape[axis] + index[axis];
    sums[target] += values[flat];
    maxima[target] = Math.max(maxima[target], values[flat]);
    for (let axis = rank - 1; axis >= 0 && ++index[axis] === shape[axis]; axis--) index[axis] = 0;
  }
  const count = values.length / outSize;
  const data = Float32Array.from({ length: outSize }, (_, i) => (op === 'sum' ? sums[i] : op === 'mean' ? sums[i] / count : maxima[i]));
  return { data, shape: outShape };
}

function reduceOnEngine(engine: Engine, x: Tensor, op: ReduceOp, axes: number[] | undefined): Tensor {
  return op === 'sum' ? engine.sum(x, axes) : op === 'mean' ? engine.mean(x, axes) : engine.max(x, axes);
}

interface AxisCase {
  shape: number[];
  axes?: number[];
}

const axisCases: AxisCase[] = [
  { shape: [1] },
  { shape: [7] },
  { shape: [2, 3] },
  { shape: [2, 3], axes: [0] },
  { shape: [2, 3], axes: [1] },
  { shape: [2, 3], axes: [-1] },
  { shape: [3, 4, 5, 6] },
  { shape: [3, 4, 5, 6], axes: [0] },
  { shape: [3, 4, 5, 6], axes: [1] },
  { shape: [3, 4, 5, 6], axes: [0, 2, 3] },
  { shape: [3, 4, 5, 6], axes: [-1, -2] },
  { shape: [3, 4, 5, 6], axes: [-3, 0] },
  { shape: [3, 4, 5, 6], axes: [3, 1] },
  { shape: [1, 1, 1, 1], axes: [0, 2, 3] },
  { shape: [3, 300, 257], axes: [1] },
  { shape: [5, 1031], axes: [0] },
  { shape: [8, 33, 9, 11], axes: [0, 2, 3] },
  { shape: [1_000_003] },
];

const cases: TestCase[] = axisCases.map(({ shape, axes }) => ({
  name: `sum, mean and max of [${shape.join(', ')}] over ${axes ? `axes [${axes.join(', ')}]` : 'all axes'}`,
  async run(engine) {
    const size = shape.reduce((p, q) => p * q, 1);
    const values = gridValues(size, size + shape.length);
    const x = engine.tensor(values, shape);
    for (const op of ['sum', 'mean', 'max'] as const) {
      const label = `${op} of [${shape.join(', ')}] over ${axes ? `[${axes.join(', ')}]` : 'all'}`;
      const expected = reduceOnHost(values, shape, axes ?? shape.map((_, i) => i), op);
      const out = reduceOnEngine(engine, x, op, axes);
      if (out.shape.join() !== expected.shape.join()) throw new Error(`${label}: shape [${out.shape}], expected [${expected.shape}]`);
      assertClose(await out.read(), expected.data, op === 'mean' ? meanTolerance : exact, label);
    }
  },
}));

export const reduceGroup: TestGroup = {
  name: 'reduce',
  cases: [
    ...cases,
    {
      name: 'sum of 1,000,003 positive non-grid values: accumulation error stays near float32 rounding',
      async run(engine) {
        // Sequential float32 accumulation drifts by up to n * 2^-24 relative; pairwise or wider accumulators stay
        // within a few times log2(n) * 2^-24 = 1.2e-6.
        const values = new Random(11).uniformArray(1_000_003, 0, 1);
        const expected = reduceOnHost(values, [values.length], [0], 'sum');
        assertClose(await engine.sum(engine.tensor(values, [values.length])).read(), expected.data, { atol: 0, rtol: 1e-5 }, 'sum');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const values = new Random(12).normalArray(3 * 300 * 257);
        const views: [number[], number[] | undefined][] = [
          [[3, 300, 257], [1]],
          [[900, 257], [0]],
          [[257, 900], [1]],
          [
            [3, 300, 257],
            [0, 2],
          ],
          [[3, 300, 257], undefined],
        ];
        await expectSameBitsOnThreadCounts('reduce', engine, (engine) => {
          const reads = views.flatMap(([shape, axes]) => {
            const x = engine.tensor(values, shape);
            return (['sum', 'mean', 'max'] as const).map((op) => reduceOnEngine(engine, x, op, axes).read());
          });
          return Promise.all(reads);
        });
      },
    },
    {
      name: 'max starts below every float32: rows of -3.4e38 keep it',
      async run(engine) {
        const lowest = -3.4028234663852886e38;
        const values = Float32Array.of(lowest, lowest, lowest, lowest, -3.5, lowest);
        const out = engine.max(engine.tensor(values, [2, 3]), [1]);
        assertClose(await out.read(), [lowest, -3.5], exact, 'max over rows');
      },
    },
    {
      name: 'an axis out of range is a ShapeError naming the op and the shape',
      async run(engine) {
        const x = engine.zeros([2, 3]);
        for (const axes of [[2], [-3]]) {
          try {
            engine.sum(x, axes);
          } catch (error) {
            if (error instanceof ShapeError && error.message.includes('sum') && error.message.includes('x [2, 3]')) continue;
            throw new Error(`expected a ShapeError naming sum and x, got ${String(error)}`);
          }
          throw new Error(`sum over axes [${axes}] of a rank-2 tensor did not throw`);
        }
      },
    },
  ],
};
