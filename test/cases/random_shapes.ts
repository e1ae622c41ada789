// Every op on shapes drawn at run time (a fresh seed each run, printed on failure) against the TypeScript reference.
import { Random, assertClose, referenceOp, type Engine, type HostArray, type Tolerance } from 'emergence-engine';
import type { TestGroup } from './types.js';

/** Set globalThis.EMERGENCE_TEST_SEED to replay a failing run. */
const seed = Number((globalThis as { EMERGENCE_TEST_SEED?: number }).EMERGENCE_TEST_SEED ?? Date.now() % 1_000_000_007);
const DRAWS = 3;

/** Float32 accumulation over K terms of magnitude <= 1 drifts by about sqrt(K) ulps of the sum; 8e-6·sqrt(K) leaves room. */
const dotTolerance = (K: number): Tolerance => ({ atol: 8e-6 * Math.sqrt(K), rtol: 1e-5 });

interface Draw {
  label: string;
  run(engine: Engine, rng: Random): Promise<[HostArray, HostArray[], Tolerance]>;
}

const between = (rng: Random, low: number, high: number): number => low + rng.int(high - low + 1);

const draws: Draw[] = [
  {
    label: 'matmul',
    async run(engine, rng) {
      const [M, N, K] = [between(rng, 1, 150), between(rng, 1, 150), between(rng, 1, 150)];
      const batch = between(rng, 1, 3);
      const transposeA = rng.uniform() < 0.5;
      const transposeB = rng.uniform() < 0.5;
      const aShape = [batch, ...(transposeA ? [K, M] : [M, K])];
      const bShape = [batch, ...(transposeB ? [N, K] : [K, N])];
      const a = rng.uniformArray(batch * M * K);
      const b = rng.uniformArray(batch * K * N);
      const out = engine.matmul(engine.tensor(a, aShape), engine.tensor(b, bShape), { transposeA, transposeB });
      const ref = referenceOp('matmul', { a, b }, { transposeA, transposeB }, { a: aShape, b: bShape });
      return [await out.read(), ref, dotTolerance(K)];
    },
  },
  {
    label: 'conv2d',
    async run(engine, rng) {
      const [N, C, O] = [between(rng, 1, 3), between(rng, 1, 6), between(rng, 1, 9)];
      const [KH, KW] = [between(rng, 1, 5), between(rng, 1, 5)];
      const stride: [number, number] = [between(rng, 1, 3), between(rng, 1, 3)];
      const padding: [number, number] = [between(rng, 0, KH - 1), between(rng, 0, KW - 1)];
      const [H, W] = [between(rng, KH, 20), between(rng, KW, 20)];
      const x = rng.uniformArray(N * C * H * W);
      const w = rng.uniformArray(O * C * KH * KW);
      const out = engine.conv2d(engine.tensor(x, [N, C, H, W]), engine.tensor(w, [O, C, KH, KW]), { stride, padding });
      const ref = referenceOp('conv2d', { x, w }, { stride, padding }, { x: [N, C, H, W], w: [O, C, KH, KW] });
      return [await out.read(), ref, dotTolerance(C * KH * KW)];
    },
  },
  {
    label: 'pool2d',
    async run(engine, rng) {
      const mode = rng.uniform() < 0.5 ? 'max' : 'avg';
      const [N, C] = [between(rng, 1, 3), between(rng, 1, 5)];
      const size: [number, number] = [between(rng, 1, 4), between(rng, 1, 4)];
      const stride: [number, number] = [between(rng, 1, 3), between(rng, 1, 3)];
      const padding: [number, number] = [between(rng, 0, size[0] >> 1), between(rng, 0, size[1] >> 1)];
      const [H, W] = [between(rng, size[0], 17), between(rng, size[1], 17)];
      const x = rng.uniformArray(N * C * H * W);
      const xt = engine.tensor(x, [N, C, H, W]);
      const out = mode === 'max' ? engine.maxPool2d(xt, { size, stride, padding }) : engine.avgPool2d(xt, { size, stride, padding });
      const ref = referenceOp('pool2d', { x }, { mode, size, stride, padding }, { x: [N, C, H, W] });
      return [await out.read(), ref, { atol: 1e-6, rtol: 1e-6 }];
    },
  },
  {
    label: 'reduce',
    async run(engine, rng) {
      const shape = [between(rng, 1, 9), between(rng, 1, 300), between(rng, 1, 9)];
      const op = (['sum', 'mean', 'max'] as const)[rng.int(3)];
      const x = rng.uniformArray(shape[0] * shape[1] * shape[2]);
      const xt = engine.tensor(x, shape);
      const out = op === 'sum' ? engine.sum(xt, [1]) : op === 'mean' ? engine.mean(xt, [1]) : engine.max(xt, [1]);
      const ref = referenceOp('reduce', { x }, { op, outer: shape[0], R: shape[1], inner: shape[2] }, { x: shape });
      return [await out.read(), ref, dotTolerance(shape[1])];
    },
  },
  {
    label: 'batch-norm statistics and apply',
    async run(engine, rng) {
      const shape = [between(rng, 1, 8), between(rng, 1, 12), between(rng, 1, 7), between(rng, 1, 7)];
      const C = shape[1];
      const x = rng.uniformArray(shape[0] * C * shape[2] * shape[3], -3, 3);
      const gamma = rng.uniformArray(C, 0.5, 1.5);
      const beta = rng.uniformArray(C);
      const { output } = engine.batchNorm(engine.tensor(x, shape), {
        gamma: engine.tensor(gamma, [C]),
        beta: engine.tensor(beta, [C]),
        runningMean: engine.zeros([C]),
        runningVar: engine.tensor(new Float32Array(C).fill(1), [C]),
      });
      const [mean, variance] = referenceOp('moments', { x }, {}, { x: shape });
      const ref = referenceOp(
        'batchNormApply',
        { x, mean, variance, gamma, beta },
        { eps: 1e-5 },
        { x: shape, mean: [C], variance: [C], gamma: [C], beta: [C] },
      );
      return [await output.read(), ref, { atol: 1e-4, rtol: 1e-4 }];
    },
  },
  {
    label: 'softmax cross-entropy gradient',
    async run(engine, rng) {
      const [N, C] = [between(rng, 1, 70), between(rng, 2, 300)];
      const logits = rng.uniformArray(N * C, -8, 8);
      const labels = Int32Array.from({ length: N }, () => rng.int(C));
      const { grad } = engine.softmaxCrossEntropy(engine.tensor(logits, [N, C]), labels);
      const ref = referenceOp('softmaxCrossEntropy', { logits, labels }, {}, { logits: [N, C], labels: [N] });
      return [await grad.read(), [ref[1]], { atol: 1e-6, rtol: 1e-4 }];
    },
  },
];

export const randomShapesGroup: TestGroup = {
  name: `random shapes (seed ${seed})`,
  cases: draws.map((draw, index) => ({
    name: `${draw.label} on ${DRAWS} shapes drawn from seed ${seed}`,
    async run(engine) {
      const rng = new Random(seed + index);
      for (let i = 0; i < DRAWS; i++) {
        const [actual, [expected], tolerance] = await engine.scope(() => draw.run(engine, rng));
        assertClose(actual, expected, tolerance, `${draw.label} draw ${i} (seed ${seed})`);
      }
    },
  })),
};
