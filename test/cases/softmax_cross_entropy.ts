// Softmax cross-entropy through engine.softmaxCrossEntropy: per-row losses, their mean, the gradient, and bad labels.
import { Random, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts, expectShapeError } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

/**
 * A loss is logsumexp - logit in float32: a few ulps of the larger of the two, so the allowance grows with the logits'
 * magnitude (softmax is shift-invariant, but the inputs' own rounding is not).
 */
const lossTolerance = (maxAbsLogit: number): Tolerance => ({ atol: 8 * 2 ** -24 * (1 + maxAbsLogit), rtol: 1e-6 });

/**
 * Gradient entries are softmax probabilities / N; WGSL's exp is accurate to 3 + 2|x| ulps, so for logit spreads of
 * about 20 a probability may be off by ~50 ulps relative. The label's entry (p - 1) / N may lose p's last bits.
 */
const gradTolerance = (N: number): Tolerance => ({ atol: 2 ** -22 / N, rtol: 1e-5 });

async function checkAgainstReference(engine: Engine, N: number, C: number, logits: Float32Array, labels: Int32Array): Promise<void> {
  const label = `[${N}, ${C}]`;
  const { loss, losses, grad } = engine.softmaxCrossEntropy(engine.tensor(logits, [N, C]), labels);
  const [expectedLosses, expectedGrad] = referenceOp('softmaxCrossEntropy', { logits, labels }, {}, { logits: [N, C] });
  const maxAbsLogit = logits.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tolerance = lossTolerance(maxAbsLogit);
  assertClose(await losses.read(), expectedLosses, tolerance, `${label}: per-row losses`);
  const meanLoss = Array.from(expectedLosses).reduce((sum, v) => sum + v, 0) / N;
  if (loss.shape.length !== 0) throw new Error(`${label}: the mean loss has shape [${loss.shape}], expected []`);
  assertClose(await loss.read(), [meanLoss], tolerance, `${label}: mean loss`);
  assertClose(await grad.read(), expectedGrad, gradTolerance(N), `${label}: gradient of the mean loss`);
}

const shapes: [number, number][] = [
  [1, 1],
  [1, 7],
  [7, 10],
  [300, 3],
  [64, 1000],
  [5, 1031],
];

const referenceCases: TestCase[] = shapes.map(([N, C]) => ({
  name: `[${N}, ${C}] logits against the reference`,
  async run(engine) {
    const rng = new Random(N * C);
    const logits = rng.uniformArray(N * C, -10, 10);
    const labels = Int32Array.from({ length: N }, () => rng.int(C));
    await checkAgainstReference(engine, N, C, logits, labels);
  },
}));

export const softmaxCrossEntropyGroup: TestGroup = {
  name: 'softmax cross-entropy',
  cases: [
    ...referenceCases,
    {
      name: 'large logits (±1000) are stable: the row maximum is subtracted first',
      async run(engine) {
        const logits = Float32Array.of(1000, 999, -1000, 0, -1000, -999.5, 998, 1000, 1000);
        await checkAgainstReference(engine, 3, 3, logits, Int32Array.of(0, 1, 2));
      },
    },
    {
      name: 'hand-computed: uniform logits give log C per row and (1/C - onehot) / N',
      async run(engine) {
        const [N, C] = [2, 4];
        const { loss, losses, grad } = engine.softmaxCrossEntropy(engine.zeros([N, C]), Int32Array.of(3, 0));
        const tolerance = { atol: 1e-7, rtol: 1e-6 };
        assertClose(await losses.read(), [Math.log(4), Math.log(4)], tolerance, 'losses');
        assertClose(await loss.read(), [Math.log(4)], tolerance, 'mean loss');
        const q = 0.25 / N;
        const expectedGrad = [q, q, q, q - 1 / N, q - 1 / N, q, q, q];
        assertClose(await grad.read(), expectedGrad, tolerance, 'gradient');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const rng = new Random(9);
        const logits = rng.uniformArray(64 * 1000, -10, 10);
        const labels = Int32Array.from({ length: 64 }, () => rng.int(1000));
        await expectSameBitsOnThreadCounts('softmaxCrossEntropy', engine, async (engine) => {
          const { loss, losses, grad } = engine.softmaxCrossEntropy(engine.tensor(logits, [64, 1000]), labels);
          return Promise.all([loss.read(), losses.read(), grad.read()]);
        });
      },
    },
    {
      name: 'an out-of-range label from the host is a ShapeError naming the label and its index',
      async run(engine) {
        const logits = engine.zeros([3, 10]);
        expectShapeError(() => engine.softmaxCrossEntropy(logits, Int32Array.of(0, 3, 10)), 'softmaxCrossEntropy', 'label 10 at index 2');
        expectShapeError(() => engine.softmaxCrossEntropy(logits, Int32Array.of(-1, 3, 9)), 'label -1 at index 0', 'logits [3, 10]');
        expectShapeError(() => engine.softmaxCrossEntropy(logits, engine.tensor(Int32Array.of(1, 2), [2])), "'labels' must have shape [3]");
      },
    },
    {
      name: 'an out-of-range label already on the device gives a NaN loss and a NaN gradient row',
      async run(engine) {
        const [N, C] = [3, 5];
        const logits = new Random(5).uniformArray(N * C, -3, 3);
        const labels = Int32Array.of(2, 5, -1);
        const { loss, losses, grad } = engine.softmaxCrossEntropy(engine.tensor(logits, [N, C]), engine.tensor(labels, [N]));
        const [expectedLosses, expectedGrad] = referenceOp('softmaxCrossEntropy', { logits, labels }, {}, { logits: [N, C] });
        if (!Number.isNaN(expectedLosses[1]) || !Number.isNaN(expectedGrad[C])) throw new Error('the reference did not give NaN');
        assertClose(await losses.read(), expectedLosses, lossTolerance(3), 'losses with bad labels');
        assertClose(await grad.read(), expectedGrad, gradTolerance(N), 'gradient with bad labels');
        if (!Number.isNaN((await loss.read())[0])) throw new Error('the mean loss over rows with bad labels is not NaN');
      },
    },
  ],
};
