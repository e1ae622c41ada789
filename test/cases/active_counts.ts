// engine.activeCounts on [N, F] and [N, C, H, W] with both statistics, strict '>' at the threshold, and countAbove itself.
import {
  Random,
  assertClose,
  referenceOp,
  type ActiveCountOptions,
  type Engine,
  type NodeStatistic,
  type Tolerance,
} from 'emergence-engine';
import { expectSameBitsOnThreadCounts } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

const exact: Tolerance = { atol: 0, rtol: 0 };

/** Mean activation of up to ~1200 values of magnitude below ~2, summed in float32 (WebGPU) or float64 (wasm). */
const meanTolerance: Tolerance = { atol: 1e-6, rtol: 1e-5 };

/** Thresholds reach the kernels as float32 values, so "above" means above the threshold rounded to float32. */
function countOnHost(values: ArrayLike<number>, threshold: number): number {
  const limit = Math.fround(threshold);
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > limit) count++;
  return count;
}

/** The float32 just above `value`. */
function nextFloat32Up(value: number): number {
  const bits = new Float32Array([value]);
  const word = new Int32Array(bits.buffer);
  word[0] += value >= 0 ? 1 : -1;
  return bits[0];
}

/** Runs activeCounts and checks perNode against the reference statistic and `active` against a count made here. */
async function checkAgainstReference(engine: Engine, shape: number[], x: Float32Array, options: ActiveCountOptions): Promise<void> {
  const statistic: NodeStatistic = options.statistic ?? 'mean';
  const threshold = options.threshold ?? 0.05;
  const label = `${statistic} statistic on [${shape.join(', ')}] with threshold ${threshold}`;
  const result = await engine.activeCounts(engine.tensor(x, shape), options);
  const [expected] = referenceOp('nodeStatistic', { x }, { statistic, threshold }, { x: shape });
  assertClose(result.perNode, expected, statistic === 'mean' ? meanTolerance : exact, `${label}: perNode`);
  const cutoff = statistic === 'mean' ? threshold : (options.minFraction ?? 0.5);
  const active = countOnHost(result.perNode, cutoff);
  if (result.active !== active) throw new Error(`${label}: active ${result.active}, but ${active} of perNode exceed ${cutoff}`);
  if (result.total !== shape[1]) throw new Error(`${label}: total ${result.total}, expected ${shape[1]} nodes`);
}

const randomShapes: number[][] = [
  [1, 1],
  [7, 5],
  [64, 300],
  [3, 5, 1, 1],
  [4, 32, 17, 17],
  [2, 3, 4, 5, 6],
];

const referenceCases: TestCase[] = randomShapes.flatMap((shape) =>
  (['mean', 'fraction'] as const).map((statistic) => ({
    name: `${statistic} statistic on random [${shape.join(', ')}] activations`,
    async run(engine: Engine) {
      const size = shape.reduce((p, q) => p * q, 1);
      // Centred on the threshold so that both active and inactive nodes occur.
      const x = new Random(size).normalArray(size, 0.05, 0.5);
      await checkAgainstReference(engine, shape, x, { statistic });
      await checkAgainstReference(engine, shape, x, { statistic, threshold: 0.3, minFraction: 0.25 });
    },
  })),
);

/**
 * Node kinds, by node index mod 4, for threshold θ = 0.25 (every value below is exact in float32, and the entry
 * count per node is a power of two, so the means are exact whether a kernel divides or multiplies by a reciprocal):
 *   0: every entry is θ                       -> mean θ (not above), fraction 0
 *   1: every entry is θ + 0.5                 -> mean 0.75, fraction 1
 *   2: entries alternate θ + 1 and θ - 1      -> mean exactly θ (not above), fraction exactly 0.5 (not above 0.5)
 *   3: one in four entries θ, the rest θ+2^-10 -> mean θ + 0.75 * 2^-10 (above), fraction 0.75
 */
const THETA = 0.25;
const STEP = 2 ** -10;

function designedEntry(kind: number, entry: number): number {
  if (kind === 0) return THETA;
  if (kind === 1) return THETA + 0.5;
  if (kind === 2) return entry % 2 === 0 ? THETA + 1 : THETA - 1;
  return entry % 4 === 0 ? THETA : THETA + STEP;
}

/** x of `shape` ([N, C, ...]) where node c has kind c % 4; entries of a node are numbered in (n, position) order. */
function designedActivations(shape: number[]): Float32Array {
  const [N, C] = shape;
  const S = shape.slice(2).reduce((p, q) => p * q, 1);
  const x = new Float32Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) x[(n * C + c) * S + s] = designedEntry(c % 4, n * S + s);
  }
  return x;
}

const designedCases: TestCase[] = [
  [8, 13],
  [4, 6, 2, 2],
].map((shape) => ({
  name: `strict '>' at the threshold, both statistics, [${shape.join(', ')}]`,
  async run(engine: Engine) {
    const C = shape[1];
    const x = engine.tensor(designedActivations(shape), shape);
    const kinds = Array.from({ length: C }, (_, c) => c % 4);
    const activeKinds = kinds.filter((kind) => kind === 1 || kind === 3).length;
    const mean = await engine.activeCounts(x, { threshold: THETA, statistic: 'mean' });
    const expectedMeans = kinds.map((kind) => [THETA, THETA + 0.5, THETA, THETA + 0.75 * STEP][kind]);
    assertClose(mean.perNode, expectedMeans, exact, 'mean statistic');
    if (mean.active !== activeKinds) throw new Error(`mean statistic: active ${mean.active}, expected ${activeKinds}`);
    const fraction = await engine.activeCounts(x, { threshold: THETA, statistic: 'fraction' });
    const expectedFractions = kinds.map((kind) => [0, 1, 0.5, 0.75][kind]);
    assertClose(fraction.perNode, expectedFractions, exact, 'fraction statistic');
    if (fraction.active !== activeKinds) throw new Error(`fraction statistic: active ${fraction.active}, expected ${activeKinds}`);
    if (mean.total !== C || fraction.total !== C) throw new Error(`total ${mean.total} / ${fraction.total}, expected ${C}`);
  },
}));

export const activeCountsGroup: TestGroup = {
  name: 'active counts',
  cases: [
    ...referenceCases,
    ...designedCases,
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const inputs = [
          [4, 32, 17, 17],
          [200, 300],
          [16, 3000],
        ].map((shape) => ({
          shape,
          x: new Random(shape[1]).normalArray(
            shape.reduce((p, q) => p * q, 1),
            0.05,
            0.5,
          ),
        }));
        await expectSameBitsOnThreadCounts('activeCounts', engine, async (engine) => {
          const outputs: ArrayLike<number>[] = [];
          for (const { shape, x } of inputs) {
            for (const statistic of ['mean', 'fraction'] as const) {
              const { perNode, active } = await engine.activeCounts(engine.tensor(x, shape), { statistic });
              outputs.push(perNode, [active]);
            }
          }
          return outputs;
        });
      },
    },
    {
      name: 'a threshold that float32 cannot hold (0.05) compares against its float32 rounding',
      async run(engine) {
        // Node 0's entries equal the threshold as float32 holds it; node 1's are the next float32 up.
        const at = Math.fround(0.05);
        const x = engine.tensor([at, nextFloat32Up(at), at, nextFloat32Up(at), at, nextFloat32Up(at)], [3, 2]);
        const result = await engine.activeCounts(x, { threshold: 0.05, statistic: 'fraction', minFraction: 0.5 });
        assertClose(result.perNode, [0, 1], exact, 'fractions at and just above 0.05');
        if (result.active !== 1) throw new Error(`active ${result.active}, expected 1`);
      },
    },
    ...[1, 7, 1000, 100_003].map((size) => ({
      name: `countAbove on ${size} values, some exactly at the threshold`,
      async run(engine: Engine) {
        const rng = new Random(size);
        const values = Float32Array.from({ length: size }, () => (rng.uniform() < 0.25 ? 0.5 : rng.uniform(-1, 2)));
        const { count } = engine.run('countAbove', { x: engine.tensor(values, [size]) }, { threshold: 0.5 });
        const [expected] = referenceOp('countAbove', { x: values }, { threshold: 0.5 });
        assertClose(await count.read(), expected, exact, `countAbove, ${size} values`);
        if (expected[0] !== countOnHost(values, 0.5)) throw new Error('the reference count disagrees with the host count');
      },
    })),
  ],
};
