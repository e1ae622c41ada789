// Elementwise ops (add, sub, mul, scale, biasAdd) against the reference, on sizes that cross thread and workgroup boundaries.
import { Random, ShapeError, assertClose, createEngine, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

/** +, - and * of two float32 values are correctly rounded on both backends (WGSL requires it), so they match exactly. */
const exact: Tolerance = { atol: 0, rtol: 0 };

/**
 * x * alpha + beta rounds twice (product, then sum; a fused multiply-add rounds once) and alpha itself is rounded to
 * float32: with |x| <= 2 and |alpha| < 2 that is at most half an ulp of 4 (2.4e-7) plus alpha's rounding (2.4e-7),
 * plus half an ulp of the result.
 */
const scaleTolerance: Tolerance = { atol: 1e-6, rtol: 2.4e-7 };

const SIZES = [1, 7, 257, 65_537, 1_000_003];

/** Runs fn and checks that it throws a ShapeError whose message contains every fragment. */
export function expectShapeError(fn: () => unknown, ...fragments: string[]): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ShapeError)) throw new Error(`expected a ShapeError, got ${String(error)}`);
    for (const fragment of fragments) {
      if (!error.message.includes(fragment)) throw new Error(`ShapeError message '${error.message}' lacks '${fragment}'`);
    }
    return;
  }
  throw new Error(`expected a ShapeError mentioning ${fragments.join(', ')}; nothing was thrown`);
}

/**
 * Runs `compute` on the runner's multi-threaded WebAssembly engine and on a fresh single-threaded one and requires
 * bit-identical results: kernels split independent outputs, never a reduction, so the thread count must not change a
 * single bit. Inputs must be large enough (work >= 32768) for the engine to use its workers.
 */
export async function expectSameBitsOnThreadCounts(
  label: string,
  engine: Engine,
  compute: (engine: Engine) => Promise<ArrayLike<number>[]>,
): Promise<void> {
  if (engine.backend !== 'wasm' || / 1 thread/.test(engine.description)) {
    throw new Error(`${label}: needs a multi-threaded WebAssembly engine (shared memory), got '${engine.description}'`);
  }
  const single = await createEngine({ backend: 'wasm', threads: 1 });
  try {
    const expected = await single.scope(() => compute(single));
    const actual = await compute(engine);
    expected.forEach((values, k) => {
      const want = new Uint32Array(Float32Array.from(values).buffer);
      const got = new Uint32Array(Float32Array.from(actual[k]).buffer);
      const at = want.findIndex((word, i) => word !== got[i]);
      if (at >= 0 || want.length !== got.length) {
        throw new Error(`${label}: output ${k} differs between 1 thread and ${engine.description} at index ${at}`);
      }
    });
  } finally {
    await single.dispose();
  }
}

const binaryCases: TestCase[] = SIZES.map((size) => ({
  name: `add, sub and mul, ${size} elements`,
  async run(engine) {
    const rng = new Random(size);
    const a = rng.uniformArray(size, -2, 2);
    const b = rng.uniformArray(size, -2, 2);
    const at = engine.tensor(a, [size]);
    const bt = engine.tensor(b, [size]);
    for (const [op, out] of [
      ['add', engine.add(at, bt)],
      ['sub', engine.sub(at, bt)],
      ['mul', engine.mul(at, bt)],
    ] as const) {
      const [expected] = referenceOp('binary', { a, b }, { op });
      assertClose(await out.read(), expected, exact, `${op}, ${size} elements`);
    }
  },
}));

const scaleCases: TestCase[] = SIZES.map((size) => ({
  name: `scale, ${size} elements`,
  async run(engine) {
    const x = new Random(size + 1).uniformArray(size, -2, 2);
    const xt = engine.tensor(x, [size]);
    const [expected] = referenceOp('scale', { x }, { alpha: 1.7, beta: -0.3 });
    assertClose(await engine.scale(xt, 1.7, -0.3).read(), expected, scaleTolerance, `scale x1.7-0.3, ${size} elements`);
    // Halving is exact, so adding a power of two rounds once: the result must be the correctly rounded one.
    const [halved] = referenceOp('scale', { x }, { alpha: 0.5, beta: 0.25 });
    assertClose(await engine.scale(xt, 0.5, 0.25).read(), halved, exact, `scale x0.5+0.25, ${size} elements`);
  },
}));

const biasShapes: number[][] = [
  [1, 1],
  [7, 5],
  [3, 257],
  [1, 1, 1, 1],
  [2, 3, 1, 1],
  [3, 5, 7, 9],
  [2, 3, 4, 5, 6],
  [4, 16, 129, 129],
];

const biasCases: TestCase[] = biasShapes.map((shape) => ({
  name: `biasAdd on [${shape.join(', ')}]`,
  async run(engine) {
    const size = shape.reduce((p, q) => p * q, 1);
    const rng = new Random(size);
    const x = rng.uniformArray(size, -2, 2);
    const bias = rng.uniformArray(shape[1], -2, 2);
    const out = engine.biasAdd(engine.tensor(x, shape), engine.tensor(bias, [shape[1]]));
    const [expected] = referenceOp('biasAdd', { x, bias }, {}, { x: shape });
    assertClose(await out.read(), expected, exact, `biasAdd [${shape.join(', ')}]`);
  },
}));

export const elementwiseGroup: TestGroup = {
  name: 'elementwise',
  cases: [
    ...binaryCases,
    ...scaleCases,
    ...biasCases,
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const rng = new Random(4);
        const a = rng.uniformArray(100_003);
        const b = rng.uniformArray(100_003);
        const x = rng.uniformArray(4 * 16 * 33 * 33);
        const bias = rng.uniformArray(16);
        const rowBias = rng.uniformArray(264);
        await expectSameBitsOnThreadCounts('elementwise', engine, async (engine) => {
          const at = engine.tensor(a, [a.length]);
          const bt = engine.tensor(b, [b.length]);
          const xt = engine.tensor(x, [4, 16, 33, 33]);
          const outs = [engine.add(at, bt), engine.sub(at, bt), engine.mul(at, bt), engine.scale(at, 1.7, -0.3)];
          // 4 * 16 * 33 * 33 = 264 * 264: the same values as [N, C, H, W] and as [N, F].
          outs.push(
            engine.biasAdd(xt, engine.tensor(bias, [16])),
            engine.biasAdd(engine.reshape(xt, [264, 264]), engine.tensor(rowBias, [264])),
          );
          return Promise.all(outs.map((t) => t.read()));
        });
      },
    },
    {
      name: 'mismatched shapes are ShapeErrors naming the op and both shapes',
      async run(engine) {
        const a = engine.zeros([2, 3]);
        const b = engine.zeros([3, 2]);
        expectShapeError(() => engine.add(a, b), 'add', 'a [2, 3]', 'b [3, 2]');
        expectShapeError(() => engine.mul(a, b), 'mul', 'a [2, 3]', 'b [3, 2]');
        expectShapeError(() => engine.biasAdd(a, engine.zeros([2])), 'biasAdd', "'bias' must have shape [3]", 'bias [2]');
      },
    },
  ],
};
