// channelAffine (x * scale[c] + shift[c] along dimension 1) against the reference on [N, F] and NCHW shapes, odd sizes.
import { Random, assertClose, referenceOp, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts, expectShapeError } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

/**
 * The WebAssembly kernel rounds twice (the product, then the sum), a fused multiply-add once, the reference once (in
 * float64). With |x|, |scale| <= 2 the product's rounding is at most half an ulp of 4 (2.4e-7); each rounding of the
 * result adds at most half an ulp of it (6e-8 * |ref|), twice counting the reference's.
 */
const affineTolerance: Tolerance = { atol: 2.4e-7, rtol: 1.2e-7 };
const exact: Tolerance = { atol: 0, rtol: 0 };

/** [N, F] rows (inner 1, the vector path) and NCHW / NCDHW runs (inner > 1, the broadcast path), none a multiple of 4. */
const shapes: number[][] = [
  [1, 1],
  [7, 5],
  [3, 257],
  [1, 1, 1, 1],
  [2, 3, 1, 1],
  [3, 5, 7, 9],
  [5, 3, 3],
  [2, 3, 4, 5, 6],
  [4, 16, 129, 129],
];

const sizeOf = (shape: number[]): number => shape.reduce((p, q) => p * q, 1);

const shapeCases: TestCase[] = shapes.map((shape) => ({
  name: `channelAffine on [${shape.join(', ')}]`,
  async run(engine) {
    const size = sizeOf(shape);
    const rng = new Random(size + 11);
    const x = rng.uniformArray(size, -2, 2);
    const scale = rng.uniformArray(shape[1], -2, 2);
    const shift = rng.uniformArray(shape[1], -2, 2);
    const out = engine.channelAffine(engine.tensor(x, shape), engine.tensor(scale, [shape[1]]), engine.tensor(shift, [shape[1]]));
    const [expected] = referenceOp('channelAffine', { x, scale, shift }, {}, { x: shape });
    assertClose(await out.read(), expected, affineTolerance, `channelAffine [${shape.join(', ')}]`);
  },
}));

export const channelAffineGroup: TestGroup = {
  name: 'channelAffine',
  cases: [
    ...shapeCases,
    {
      name: 'power-of-two scales and zero shifts are exact, and each channel gets its own pair',
      async run(engine) {
        // Scaling by a power of two and adding zero round nowhere, so any channel mix-up shows as a mismatch.
        const shape = [3, 6, 5, 7];
        const x = new Random(5).uniformArray(sizeOf(shape), -2, 2);
        const scale = Float32Array.from([0.5, 2, -4, 1, 0.25, -1]);
        const shift = new Float32Array(6);
        const out = engine.channelAffine(engine.tensor(x, shape), engine.tensor(scale, [6]), engine.tensor(shift, [6]));
        const [expected] = referenceOp('channelAffine', { x, scale, shift }, {}, { x: shape });
        assertClose(await out.read(), expected, exact, 'channelAffine, powers of two');
        const rows = engine.channelAffine(
          engine.tensor(x, [35, 18]),
          engine.tensor(new Float32Array(18).fill(1), [18]),
          engine.tensor(new Float32Array(18).fill(0.5), [18]),
        );
        const [expectedRows] = referenceOp(
          'channelAffine',
          { x, scale: new Float32Array(18).fill(1), shift: new Float32Array(18).fill(0.5) },
          {},
          { x: [35, 18] },
        );
        assertClose(await rows.read(), expectedRows, exact, 'channelAffine, [35, 18] plus 0.5');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const rng = new Random(6);
        const x = rng.uniformArray(4 * 16 * 33 * 33);
        const scale = rng.uniformArray(16);
        const shift = rng.uniformArray(16);
        const rowScale = rng.uniformArray(264);
        const rowShift = rng.uniformArray(264);
        await expectSameBitsOnThreadCounts('channelAffine', engine, async (engine) => {
          const xt = engine.tensor(x, [4, 16, 33, 33]);
          // 4 * 16 * 33 * 33 = 264 * 264: the same values as [N, C, H, W] and as [N, F].
          const outs = [
            engine.channelAffine(xt, engine.tensor(scale, [16]), engine.tensor(shift, [16])),
            engine.channelAffine(engine.reshape(xt, [264, 264]), engine.tensor(rowScale, [264]), engine.tensor(rowShift, [264])),
          ];
          return Promise.all(outs.map((t) => t.read()));
        });
      },
    },
    {
      name: 'a scale or shift of the wrong length is a ShapeError naming channelAffine and the tensors',
      async run(engine) {
        const x = engine.zeros([2, 3, 4]);
        expectShapeError(
          () => engine.channelAffine(x, engine.zeros([2]), engine.zeros([3])),
          'channelAffine',
          "'scale' must have shape [3]",
          'x [2, 3, 4]',
          'scale [2]',
        );
        expectShapeError(
          () => engine.channelAffine(x, engine.zeros([3]), engine.zeros([3, 1])),
          'channelAffine',
          "'shift' must have shape [3]",
          'shift [3, 1]',
        );
        expectShapeError(
          () => engine.channelAffine(engine.zeros([6]), engine.zeros([6]), engine.zeros([6])),
          'channelAffine',
          "'x' must have rank",
          'x [6]',
        );
      },
    },
  ],
};
