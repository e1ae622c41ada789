// Matmul against the reference and the naive kernel: odd and size-1 shapes, every transpose, batches with broadcasting,
// shapes past one cache block, and shapes large enough to be split across threads along rows and along columns.
import { Random, ShapeError, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

/**
 * Inputs are uniform in [-1, 1], so each output sums K products of magnitude <= 1 and its partial sums grow like
 * sqrt(K)/3; float32 summation in any order then drifts by about sqrt(K) ulps of them. Measured on WebAssembly against
 * the float64 reference (K from 9 to 4000), the largest error was 9e-7 * sqrt(K). The allowance is ten times that,
 * while one wrong, missing or doubled product (typically 0.1 to 1) fails it by orders of magnitude.
 */
export const dotTolerance = (K: number): Tolerance => ({ atol: 1e-5 * Math.sqrt(K), rtol: 1e-5 });

interface Product {
  /** Batch of a and b: 0 means 2-D (shared by every batch item). */
  batchA: number;
  batchB: number;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
}

const transposes: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

function describe({ batchA, batchB, M, N, K, transposeA, transposeB }: Product): string {
  const a = `${batchA ? `${batchA}x` : ''}${M}x${K}${transposeA ? 'ᵀ' : ''}`;
  const b = `${batchB ? `${batchB}x` : ''}${K}x${N}${transposeB ? 'ᵀ' : ''}`;
  return `${a} @ ${b}`;
}

/** Runs the product on the engine (fast, and naive when asked) and compares both with the reference. */
async function checkProduct(engine: Engine, product: Product, seed: number, alsoNaive: boolean): Promise<void> {
  const { batchA, batchB, M, N, K, transposeA, transposeB } = product;
  const rng = new Random(seed);
  const aShape = [...(batchA ? [batchA] : []), ...(transposeA ? [K, M] : [M, K])];
  const bShape = [...(batchB ? [batchB] : []), ...(transposeB ? [N, K] : [K, N])];
  const aValues = rng.uniformArray(Math.max(batchA, 1) * M * K);
  const bValues = rng.uniformArray(Math.max(batchB, 1) * K * N);
  const attrs = { transposeA, transposeB };
  const [expected] = referenceOp('matmul', { a: aValues, b: bValues }, attrs, { a: aShape, b: bShape });
  const a = engine.tensor(aValues, aShape);
  const b = engine.tensor(bValues, bShape);
  const label = describe(product);
  const out = engine.matmul(a, b, attrs);
  const batch = Math.max(batchA, batchB);
  const outShape = batchA || batchB ? [batch, M, N] : [M, N];
  if (out.shape.join() !== outShape.join()) throw new Error(`${label}: output shape [${out.shape}], expected [${outShape}]`);
  const fast = await out.read();
  assertClose(fast, expected, dotTolerance(K), `matmul ${label} vs reference`);
  if (alsoNaive) {
    const naive = await engine.run('matmul', { a, b }, attrs, 'matmul', 'naive').out.read();
    assertClose(naive, expected, dotTolerance(K), `naive matmul ${label} vs reference`);
    assertClose(fast, naive, dotTolerance(K), `matmul ${label} vs naive`);
  }
}

const plain = (M: number, N: number, K: number, transposeA = false, transposeB = false): Product => ({
  batchA: 0,
  batchB: 0,
  M,
  N,
  K,
  transposeA,
  transposeB,
});

/** Each shape under all four transpose combinations, against the reference. */
const shapeCases: TestCase[] = [
  // Odd sizes: no dimension is a multiple of the 4x8 micro-tile or of a vector.
  [67, 131, 45],
  [1, 1, 1],
  // Size-1 dimensions: a row vector times a matrix, a matrix times a column vector, an outer product.
  [1, 37, 19],
  [29, 1, 17],
  [13, 7, 1],
  // Past one packed block: K over 256 (depth blocks), M over 128 (row blocks), N over 512 (column blocks).
  [21, 18, 300],
  [260, 12, 33],
  [9, 530, 20],
].map(([M, N, K], index) => ({
  name: `${M}x${K} @ ${K}x${N}, all transposes`,
  async run(engine) {
    for (const [transposeA, transposeB] of transposes) await checkProduct(engine, plain(M, N, K, transposeA, transposeB), index, false);
  },
}));

/** Large enough to run on every thread: split along columns (wide output) and along rows (tall, narrow output). */
const oracleCases: TestCase[] = [
  [136, 264, 280],
  [1100, 9, 450],
].map(([M, N, K], index) => ({
  name: `${M}x${K} @ ${K}x${N}, all transposes, fast vs naive vs reference`,
  async run(engine) {
    for (const [transposeA, transposeB] of transposes)
      await checkProduct(engine, plain(M, N, K, transposeA, transposeB), 100 + index, true);
  },
}));

const batchedShapes: [number, number][] = [
  [3, 3], // both batched
  [0, 4], // a shared by every item
  [4, 0], // b shared by every item (stacked rows of a form one product)
  [1, 3], // a batch of one broadcasts like a 2-D a
];

const batchCases: TestCase[] = [
  ...batchedShapes.map(([batchA, batchB], index) => ({
    name: `batched ${batchA || '2-D'} x ${batchB || '2-D'}, 37x19 @ 19x29, all transposes, fast vs naive vs reference`,
    async run(engine: Engine) {
      for (const [transposeA, transposeB] of transposes) {
        await checkProduct(engine, { batchA, batchB, M: 37, N: 29, K: 19, transposeA, transposeB }, 200 + index, true);
      }
    },
  })),
  {
    name: 'batched 6 x 2-D, 70x150 @ 150x90, split across threads, fast vs naive vs reference',
    async run(engine: Engine) {
      for (const [transposeA, transposeB] of transposes) {
        await checkProduct(engine, { batchA: 6, batchB: 0, M: 70, N: 90, K: 150, transposeA, transposeB }, 300, true);
      }
    },
  },
];

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

const errorCases: TestCase[] = [
  {
    name: 'mismatched inner dimensions and batches are errors naming matmul and the shapes',
    async run(engine) {
      const a = engine.zeros([2, 3, 4]);
      const b = engine.zeros([3, 5, 6]);
      expectShapeError(() => engine.matmul(a, b), 'matmul', '4', '5');
      expectShapeError(() => engine.matmul(a, engine.zeros([3, 4, 6])), 'matmul', 'batch', '2', '3');
      expectShapeError(() => engine.matmul(engine.zeros([4]), engine.zeros([4, 2])), 'matmul', 'rank');
    },
  },
];

export const matmulGroup: TestGroup = {
  name: 'matmul',
  cases: [...shapeCases, ...oracleCases, ...batchCases, ...errorCases],
};
