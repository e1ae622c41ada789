// Max and average pooling against the reference (strides, padding, non-square windows) and hand-checked padding semantics.
import { Random, ShapeError, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

type Pair = [number, number];

interface PoolGeometry {
  shape: [number, number, number, number];
  size: Pair;
  stride: Pair;
  padding: Pair;
}

/** Max only selects: exact. */
const exact: Tolerance = { atol: 0, rtol: 0 };

/**
 * Average of k = KH*KW values in [-1, 1] summed in float32 in any order: the sum is off by at most (k-1) half-ulps of
 * values below k, so the mean by at most k * 2^-24 (plus the division's own rounding, 2^-24 relative).
 */
const averageTolerance = (k: number): Tolerance => ({ atol: k * 2 ** -24, rtol: 2 ** -23 });

const geometries: PoolGeometry[] = [
  { shape: [2, 3, 8, 8], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [2, 3, 9, 11], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [2, 3, 13, 13], size: [3, 3], stride: [2, 2], padding: [1, 1] },
  { shape: [1, 2, 7, 9], size: [3, 2], stride: [2, 1], padding: [1, 1] },
  { shape: [3, 1, 6, 10], size: [2, 4], stride: [1, 3], padding: [0, 2] },
  { shape: [1, 1, 1, 1], size: [1, 1], stride: [1, 1], padding: [0, 0] },
  { shape: [1, 1, 5, 5], size: [5, 5], stride: [1, 1], padding: [2, 2] },
  { shape: [4, 16, 64, 64], size: [2, 2], stride: [2, 2], padding: [0, 0] },
  { shape: [2, 8, 31, 29], size: [3, 3], stride: [1, 1], padding: [1, 1] },
];

const describe = ({ shape, size, stride, padding }: PoolGeometry): string =>
  `[${shape.join(', ')}] window ${size.join('x')} stride ${stride.join(',')} padding ${padding.join(',')}`;

function pool(engine: Engine, mode: 'max' | 'avg', values: Float32Array, { shape, size, stride, padding }: PoolGeometry) {
  const x = engine.tensor(values, shape);
  return mode === 'max' ? engine.maxPool2d(x, { size, stride, padding }) : engine.avgPool2d(x, { size, stride, padding });
}

const referenceCases: TestCase[] = geometries.flatMap((geometry) =>
  (['max', 'avg'] as const).map((mode) => ({
    name: `${mode} pool ${describe(geometry)}`,
    async run(engine: Engine) {
      const { shape, size, stride, padding } = geometry;
      const x = new Random(shape.reduce((p, q) => p * q, 1)).uniformArray(
        shape.reduce((p, q) => p * q, 1),
        -1,
        1,
      );
      const out = pool(engine, mode, x, geometry);
      const [expected] = referenceOp('pool2d', { x }, { mode, size, stride, padding }, { x: shape });
      const [N, C, H, W] = shape;
      const OH = Math.floor((H + 2 * padding[0] - size[0]) / stride[0]) + 1;
      const OW = Math.floor((W + 2 * padding[1] - size[1]) / stride[1]) + 1;
      if (out.shape.join() !== [N, C, OH, OW].join()) throw new Error(`output shape [${out.shape}], expected [${[N, C, OH, OW]}]`);
      const tolerance = mode === 'max' ? exact : averageTolerance(size[0] * size[1]);
      assertClose(await out.read(), expected, tolerance, `${mode} pool ${describe(geometry)}`);
    },
  })),
);

export const pool2dGroup: TestGroup = {
  name: 'pool2d',
  cases: [
    ...referenceCases,
    {
      name: 'padding: max ignores it (all-negative input stays negative), average counts it as zeros',
      async run(engine) {
        // 3x3 windows, stride 1, padding 1 over a 3x3 plane: corners see 4 real values, edges 6, the centre 9.
        const geometry: PoolGeometry = { shape: [1, 1, 3, 3], size: [3, 3], stride: [1, 1], padding: [1, 1] };
        const minusOnes = new Float32Array(9).fill(-1);
        assertClose(await pool(engine, 'max', minusOnes, geometry).read(), new Float32Array(9).fill(-1), exact, 'max pool of -1s');
        const ones = new Float32Array(9).fill(1);
        const counts = [4, 6, 4, 6, 9, 6, 4, 6, 4];
        const expected = Float32Array.from(counts, (count) => count / 9);
        assertClose(await pool(engine, 'avg', ones, geometry).read(), expected, averageTolerance(9), 'avg pool of 1s (count_include_pad)');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const chosen = [geometries[7], geometries[8], geometries[2]];
        const inputs = chosen.map(({ shape }) => new Random(5).uniformArray(shape.reduce((p, q) => p * q, 1)));
        await expectSameBitsOnThreadCounts('pool2d', engine, (engine) =>
          Promise.all(
            chosen.flatMap((geometry, i) => (['max', 'avg'] as const).map((mode) => pool(engine, mode, inputs[i], geometry).read())),
          ),
        );
      },
    },
    {
      name: 'padding beyond half the window is a ShapeError naming the op',
      async run(engine) {
        const x = engine.zeros([1, 1, 4, 4]);
        try {
          engine.maxPool2d(x, { size: 2, stride: 1, padding: 2 });
        } catch (error) {
          if (error instanceof ShapeError && error.message.includes('maxPool2d') && error.message.includes('x [1, 1, 4, 4]')) return;
          throw new Error(`expected a ShapeError naming maxPool2d and x, got ${String(error)}`);
        }
        throw new Error('maxPool2d with padding 2 on a 2x2 window did not throw');
      },
    },
  ],
};
