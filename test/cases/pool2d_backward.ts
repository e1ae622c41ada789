// Pooling gradients: against the reference on odd geometries, ties and NaN (first maximum wins, exactly), overlapping
// windows, thread-count independence, and the reference checked as the gradient by central finite differences.
import { Random, ShapeError, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

type Pair = [number, number];
type Mode = 'max' | 'avg';

interface PoolGeometry {
  shape: [number, number, number, number];
  size: Pair;
  stride: Pair;
  padding: Pair;
}

const exact: Tolerance = { atol: 0, rtol: 0 };

/** Windows that can contain one input position. */
const covering = ({ size, stride }: PoolGeometry): number => Math.ceil(size[0] / stride[0]) * Math.ceil(size[1] / stride[1]);

/**
 * Each dx element sums at most `covering` gradients in [-1, 1] in float32 (then divides by KH*KW for average): a
 * rounding of at most half an ulp of partial sums below `covering` per addition, plus the division's, against the
 * reference's float64 sum.
 */
const gradientTolerance = (geometry: PoolGeometry): Tolerance => ({ atol: covering(geometry) * 2 ** -24, rtol: 2 ** -23 });

const geometries: PoolGeometry[] = [
  { shape: [2, 3, 8, 8], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [2, 3, 9, 19], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [2, 3, 13, 13], size: [3, 3], stride: [2, 2], padding: [1, 1] },
  { shape: [1, 2, 7, 9], size: [3, 2], stride: [2, 1], padding: [1, 1] },
  { shape: [3, 1, 6, 10], size: [2, 4], stride: [1, 3], padding: [0, 2] },
  { shape: [2, 2, 11, 10], size: [3, 3], stride: [3, 3], padding: [1, 1] },
  { shape: [1, 1, 1, 1], size: [1, 1], stride: [1, 1], padding: [0, 0] },
  { shape: [2, 3, 4, 5], size: [1, 1], stride: [2, 1], padding: [0, 0] },
  { shape: [1, 1, 5, 5], size: [5, 5], stride: [1, 1], padding: [2, 2] },
  { shape: [2, 4, 17, 17], size: [5, 5], stride: [2, 2], padding: [2, 2] },
  { shape: [1, 3, 1, 7], size: [1, 3], stride: [1, 1], padding: [0, 1] },
  { shape: [4, 16, 32, 32], size: [3, 3], stride: [2, 2], padding: [1, 1] },
];

const describe = ({ shape, size, stride, padding }: PoolGeometry): string =>
  `[${shape.join(', ')}] window ${size.join('x')} stride ${stride.join(',')} padding ${padding.join(',')}`;

const count = (shape: readonly number[]): number => shape.reduce((p, q) => p * q, 1);

function pooledShape({ shape: [N, C, H, W], size, stride, padding }: PoolGeometry): [number, number, number, number] {
  const OH = Math.floor((H + 2 * padding[0] - size[0]) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * padding[1] - size[1]) / stride[1]) + 1;
  return [N, C, OH, OW];
}

function backward(engine: Engine, mode: Mode, x: Float32Array, dy: Float32Array, geometry: PoolGeometry) {
  const { shape, size, stride, padding } = geometry;
  const xt = engine.tensor(x, shape);
  const dyt = engine.tensor(dy, pooledShape(geometry));
  const options = { size, stride, padding };
  return mode === 'max' ? engine.maxPool2dBackward(xt, dyt, options) : engine.avgPool2dBackward(xt, dyt, options);
}

function reference(mode: Mode, x: Float32Array, dy: Float32Array, geometry: PoolGeometry): Float32Array {
  const { shape, size, stride, padding } = geometry;
  const [dx] = referenceOp('pool2dBackward', { x, dy }, { mode, size, stride, padding }, { x: shape, dy: pooledShape(geometry) });
  return dx as Float32Array;
}

const referenceCases: TestCase[] = geometries.flatMap((geometry, g) =>
  (['max', 'avg'] as const).map((mode) => ({
    name: `${mode} pool gradient ${describe(geometry)}`,
    async run(engine: Engine) {
      const rng = new Random(100 + g);
      const x = rng.uniformArray(count(geometry.shape));
      const dy = rng.uniformArray(count(pooledShape(geometry)));
      const dx = backward(engine, mode, x, dy, geometry);
      if (dx.shape.join() !== geometry.shape.join()) throw new Error(`dx shape [${dx.shape}], expected [${geometry.shape}]`);
      assertClose(
        await dx.read(),
        reference(mode, x, dy, geometry),
        gradientTolerance(geometry),
        `${mode} pool gradient ${describe(geometry)}`,
      );
    },
  })),
);

/**
 * Ties everywhere: x drawn from {0, 1, 2} with a few NaNs, dy small integers, so every sum is exact and any other
 * choice among equal maxima (or NaNs) shows up as an exact mismatch.
 */
const tieCases: TestCase[] = [geometries[1], geometries[2], geometries[3], geometries[9]].map((geometry, g) => ({
  name: `max pool gradient with ties and NaNs goes to the first maximum, ${describe(geometry)}`,
  async run(engine: Engine) {
    const rng = new Random(200 + g);
    const x = Float32Array.from({ length: count(geometry.shape) }, () => (rng.uniform() < 0.05 ? NaN : rng.int(3)));
    const dy = Float32Array.from({ length: count(pooledShape(geometry)) }, () => rng.int(9) - 4);
    assertClose(
      await backward(engine, 'max', x, dy, geometry).read(),
      reference('max', x, dy, geometry),
      exact,
      `ties ${describe(geometry)}`,
    );
  },
}));

/** Random values with no two equal: shuffled multiples of 2^-10 in [-1, 1), exact in float32 after +-2^-12 or +-0.25. */
function distinctValues(length: number, rng: Random): Float32Array {
  const values = Float32Array.from({ length }, (_, i) => (i - length / 2) * 2 ** -10);
  for (let i = length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

/**
 * Central differences of L(x) = sum(pool2d(x) * r), in float64 over the reference forward's outputs. Max: steps of
 * 2^-12 never reorder values 2^-10 apart, so L is linear over the step and the difference is exact up to float64
 * rounding (about 1e-12). Average is linear, so the step may be large (0.25): the float32 rounding of each pooled value
 * (at most 2^-24 of a value below 1) then costs at most covering * 2 * 2^-24 / (2 * 0.25) < 1e-6.
 */
function finiteDifferenceGradient(mode: Mode, x: Float32Array, r: Float32Array, geometry: PoolGeometry): Float64Array {
  const { shape, size, stride, padding } = geometry;
  const step = mode === 'max' ? 2 ** -12 : 0.25;
  const loss = (values: Float32Array): number => {
    const [out] = referenceOp('pool2d', { x: values }, { mode, size, stride, padding }, { x: shape });
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i] * r[i];
    return sum;
  };
  const gradient = new Float64Array(x.length);
  const shifted = Float32Array.from(x);
  for (let i = 0; i < x.length; i++) {
    shifted[i] = x[i] + step;
    const above = loss(shifted);
    shifted[i] = x[i] - step;
    const below = loss(shifted);
    shifted[i] = x[i];
    gradient[i] = (above - below) / (2 * step);
  }
  return gradient;
}

const finiteDifferenceGeometries: PoolGeometry[] = [
  { shape: [2, 1, 6, 6], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [1, 2, 5, 7], size: [3, 3], stride: [2, 2], padding: [1, 1] },
  { shape: [1, 1, 7, 5], size: [3, 2], stride: [2, 1], padding: [1, 0] },
  { shape: [1, 2, 6, 6], size: [5, 5], stride: [3, 3], padding: [2, 2] },
];

const finiteDifferenceCases: TestCase[] = finiteDifferenceGeometries.flatMap((geometry, g) =>
  (['max', 'avg'] as const).map((mode) => ({
    name: `${mode} pool gradient matches central finite differences of the forward reference, ${describe(geometry)}`,
    async run(engine: Engine) {
      const rng = new Random(300 + g);
      const x = distinctValues(count(geometry.shape), rng);
      const r = rng.uniformArray(count(pooledShape(geometry)));
      const numeric = finiteDifferenceGradient(mode, x, r, geometry);
      const tolerance: Tolerance = { atol: 1e-6, rtol: 0 };
      assertClose(reference(mode, x, r, geometry), numeric, tolerance, `reference ${mode} gradient vs finite differences`);
      assertClose(await backward(engine, mode, x, r, geometry).read(), numeric, tolerance, `${mode} gradient vs finite differences`);
    },
  })),
);

export const pool2dBackwardGroup: TestGroup = {
  name: 'pool2dBackward',
  cases: [
    ...referenceCases,
    ...tieCases,
    ...finiteDifferenceCases,
    {
      name: 'hand-checked: equal values send each window gradient to its first position; overlapping windows add up',
      async run(engine) {
        // 3x3 windows, stride 2, padding 1 over 5x5: window (oh, ow) starts at row and column 0, 1, 3 for oh, ow = 0, 1, 2.
        const geometry: PoolGeometry = { shape: [1, 1, 5, 5], size: [3, 3], stride: [2, 2], padding: [1, 1] };
        const dy = Float32Array.from({ length: 9 }, (_, i) => i + 1);
        const starts = [0, 1, 3];
        const flat = new Float32Array(25).fill(7);
        const expectedFlat = new Float32Array(25);
        starts.forEach((row, oh) => starts.forEach((col, ow) => (expectedFlat[row * 5 + col] = dy[oh * 3 + ow])));
        assertClose(await backward(engine, 'max', flat, dy, geometry).read(), expectedFlat, exact, 'max gradient of a constant plane');
        // A single peak at (3, 3) lies in windows oh, ow in {1, 2}: all four of its gradients add there.
        const peak = new Float32Array(25).fill(-1);
        peak[3 * 5 + 3] = 1;
        const expectedPeak = new Float32Array(25);
        starts.forEach((row, oh) => starts.forEach((col, ow) => (expectedPeak[row * 5 + col] = dy[oh * 3 + ow])));
        for (const at of [1 * 5 + 1, 1 * 5 + 3, 3 * 5 + 1]) expectedPeak[at] = 0;
        expectedPeak[3 * 5 + 3] = dy[4] + dy[5] + dy[7] + dy[8];
        assertClose(
          await backward(engine, 'max', peak, dy, geometry).read(),
          expectedPeak,
          exact,
          'max gradient of a peak in four windows',
        );
        // Average: every position gets the sum of its windows' gradients / 9 (padding positions take their share too).
        const expectedAvg = new Float32Array(25);
        for (let oh = 0; oh < 3; oh++) {
          for (let ow = 0; ow < 3; ow++) {
            for (let r = 2 * oh - 1; r <= 2 * oh + 1; r++) {
              for (let c = 2 * ow - 1; c <= 2 * ow + 1; c++)
                if (r >= 0 && c >= 0 && r < 5 && c < 5) expectedAvg[r * 5 + c] += dy[oh * 3 + ow];
            }
          }
        }
        expectedAvg.forEach((v, i) => (expectedAvg[i] = v / 9));
        assertClose(await backward(engine, 'avg', flat, dy, geometry).read(), expectedAvg, { atol: 0, rtol: 2 ** -23 }, 'avg gradient');
      },
    },
    {
      name: 'hand-checked 2x2 stride 2: ties, NaN and all -Infinity windows take the first position',
      async run(engine) {
        // Five windows over a 2x10 plane (four in one SIMD block, one after): all equal; 0 3 / 3 3; 2 0 / 5 5;
        // NaN NaN / 1 NaN; all -Infinity.
        const top = [1, 1, 0, 3, 2, 0, NaN, NaN, -Infinity, -Infinity];
        const bottom = [1, 1, 3, 3, 5, 5, 1, NaN, -Infinity, -Infinity];
        const x = Float32Array.from([...top, ...bottom]);
        const dy = Float32Array.from([1, 2, 3, 4, 5]);
        const expected = Float32Array.from([1, 0, 0, 2, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0]);
        const geometry: PoolGeometry = { shape: [1, 1, 2, 10], size: [2, 2], stride: [2, 2], padding: [0, 0] };
        assertClose(await backward(engine, 'max', x, dy, geometry).read(), expected, exact, 'max gradient with ties');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        // 9 * 65 rows: thread shares end inside planes and between the two rows of a window.
        const chosen: PoolGeometry[] = [
          { shape: [1, 9, 65, 64], size: [2, 2], stride: [2, 2], padding: [0, 0] },
          { shape: [1, 9, 65, 63], size: [3, 3], stride: [2, 2], padding: [1, 1] },
          { shape: [3, 5, 31, 29], size: [5, 4], stride: [3, 1], padding: [2, 1] },
        ];
        const rng = new Random(7);
        const inputs = chosen.map((geometry) => [rng.uniformArray(count(geometry.shape)), rng.uniformArray(count(pooledShape(geometry)))]);
        await expectSameBitsOnThreadCounts('pool2dBackward', engine, (engine) =>
          Promise.all(
            chosen.flatMap((geometry, i) =>
              (['max', 'avg'] as const).map((mode) => backward(engine, mode, inputs[i][0], inputs[i][1], geometry).read()),
            ),
          ),
        );
      },
    },
    {
      name: 'dy of the wrong shape is a ShapeError naming the op, x and dy',
      async run(engine) {
        const x = engine.zeros([1, 2, 4, 4]);
        const dy = engine.zeros([1, 2, 3, 2]);
        try {
          engine.maxPool2dBackward(x, dy, { size: 2 });
        } catch (error) {
          const message = String(error);
          if (
            error instanceof ShapeError &&
            message.includes('maxPool2dBackward') &&
            message.includes('x [1, 2, 4, 4]') &&
            message.includes('dy [1, 2, 3, 2]')
          ) {
            return;
          }
          throw new Error(`expected a ShapeError naming maxPool2dBackward, x and dy, got ${message}`);
        }
        throw new Error('maxPool2dBackward with dy [1, 2, 3, 2] for a [1, 2, 2, 2] output did not throw');
      },
    },
  ],
};
