// Optimizer steps (sgdUpdate, adamUpdate) against the reference and against float64 PyTorch-style training loops, with pruning masks.
import { Random, assertClose, referenceOp, type Engine, type Tolerance } from 'emergence-engine';
import { expectSameBitsOnThreadCounts, expectShapeError } from './elementwise.js';
import type { TestCase, TestGroup } from './types.js';

const SIZES = [1, 7, 1000, 100_003];

/**
 * One step against the reference (float64 from the same float32 inputs, rounded once): each output is a handful of
 * float32 roundings of terms of order 1 (|param|, |grad|, |velocity| <= 1), a few ulps of 1 (2^-23 = 1.2e-7 each),
 * and Adam's sqrt and divisions (up to 2.5 ulps each in WGSL) are scaled by lr. Measured on WebAssembly and on
 * SwiftShader: at most 1.2e-7.
 */
const stepTolerance: Tolerance = { atol: 1e-6, rtol: 1e-6 };

/**
 * Six steps against a float64 loop that keeps its state in float64: the float32 state rounds after every step, so the
 * per-step error above adds up (velocities reach about 5 under momentum 0.9). Measured on WebAssembly and on
 * SwiftShader: at most 6.7e-7 (SGD velocity) and 3.2e-7 (Adam parameters).
 */
const loopTolerance: Tolerance = { atol: 2e-6, rtol: 1e-6 };

/** Zeros and ones, about a quarter pruned; always at least one of each when there are two or more entries. */
function pruningMask(size: number, random: Random): Float32Array {
  const mask = Float32Array.from({ length: size }, () => (random.uniform() < 0.25 ? 0 : 1));
  if (size >= 2) [mask[0], mask[1]] = [0, 1];
  return mask;
}

/** Values in ±[low, high] with random signs: gradients kept away from zero, where Adam's first step is lr * sign(g). */
function awayFromZero(size: number, random: Random, low: number, high: number): Float32Array {
  return Float32Array.from({ length: size }, () => random.uniform(low, high) * (random.uniform() < 0.5 ? -1 : 1));
}

/** Fails unless every entry of `values` where mask is 0 is exactly zero. */
function expectPruned(values: Float32Array, mask: Float32Array, label: string): void {
  const at = mask.findIndex((keep, i) => keep === 0 && values[i] !== 0);
  if (at >= 0) throw new Error(`${label}: pruned entry ${at} is ${values[at]}, expected exactly 0`);
}

interface SgdHyperparameters {
  lr: number;
  momentum: number;
  weightDecay: number;
  dampening: number;
  nesterov: boolean;
}

interface SgdConfig {
  label: string;
  options: SgdHyperparameters;
}

const sgdConfigs: SgdConfig[] = [
  { label: 'plain', options: { lr: 0.1, momentum: 0, weightDecay: 0, dampening: 0, nesterov: false } },
  { label: 'momentum, weight decay', options: { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, dampening: 0, nesterov: false } },
  { label: 'momentum, dampening', options: { lr: 0.05, momentum: 0.8, weightDecay: 0, dampening: 0.3, nesterov: false } },
  { label: 'nesterov, weight decay', options: { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, dampening: 0, nesterov: true } },
];

interface AdamHyperparameters {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

interface AdamConfig {
  label: string;
  options: AdamHyperparameters;
}

const adamConfigs: AdamConfig[] = [
  { label: 'Adam', options: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false } },
  { label: 'Adam, weight decay', options: { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-6, weightDecay: 0.05, decoupled: false } },
  { label: 'AdamW', options: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true } },
];

/** torch.optim.SGD's update for one tensor, in float64, followed by the mask; `buffer` is null before the first step. */
function pytorchSgd(config: SgdHyperparameters, param: Float64Array, grad: Float32Array, buffer: Float64Array | null, mask: Float32Array) {
  const { lr, momentum, weightDecay, dampening, nesterov } = config;
  const next = buffer ?? new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] + weightDecay * param[i];
    let step = g;
    if (momentum !== 0) {
      next[i] = buffer === null ? g : momentum * buffer[i] + (1 - dampening) * g;
      step = nesterov ? g + momentum * next[i] : next[i];
    }
    param[i] = (param[i] - lr * step) * mask[i];
    next[i] *= mask[i];
  }
  return next;
}

/** torch.optim.Adam / AdamW for one tensor (lerp for the first moment, as PyTorch writes it), in float64, then the mask. */
function pytorchAdam(
  config: AdamHyperparameters,
  step: number,
  param: Float64Array,
  grad: Float32Array,
  m: Float64Array,
  v: Float64Array,
  mask: Float32Array,
) {
  const { lr, beta1, beta2, eps, weightDecay, decoupled } = config;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < param.length; i++) {
    let g = grad[i];
    if (decoupled) param[i] *= 1 - lr * weightDecay;
    else g += weightDecay * param[i];
    m[i] += (g - m[i]) * (1 - beta1);
    v[i] = v[i] * beta2 + (1 - beta2) * g * g;
    const denom = Math.sqrt(v[i]) / biasCorrection2Sqrt + eps;
    param[i] -= (lr / biasCorrection1) * (m[i] / denom);
    param[i] *= mask[i];
    m[i] *= mask[i];
    v[i] *= mask[i];
  }
}

const sgdReferenceCases: TestCase[] = SIZES.map((size) => ({
  name: `sgdUpdate matches the reference (plain, momentum, dampening, nesterov, first step), ${size} elements`,
  async run(engine) {
    const random = new Random(size + 11);
    const param = random.uniformArray(size);
    const grad = random.uniformArray(size);
    const velocity = random.uniformArray(size);
    const mask = pruningMask(size, random);
    const tensors = [param, grad, velocity, mask].map((values) => engine.tensor(values, [size]));
    for (const config of sgdConfigs) {
      for (const firstStep of config.options.momentum > 0 ? [false, true] : [false]) {
        const label = `sgd ${config.label}${firstStep ? ', first step' : ''}, ${size} elements`;
        const attrs = config.options;
        const out = engine.sgdUpdate(tensors[0], tensors[1], tensors[2], tensors[3], { ...attrs, firstStep });
        const [expectedParam, expectedVelocity] = referenceOp('sgdUpdate', { param, grad, velocity, mask }, { ...attrs, firstStep });
        const [newParam, newVelocity] = await Promise.all([out.param.read(), out.velocity.read()]);
        assertClose(newParam, expectedParam, stepTolerance, `${label}: param`);
        assertClose(newVelocity, expectedVelocity, stepTolerance, `${label}: velocity`);
        expectPruned(newParam, mask, `${label}: param`);
        expectPruned(newVelocity, mask, `${label}: velocity`);
        out.param.dispose();
        out.velocity.dispose();
      }
    }
  },
}));

const adamReferenceCases: TestCase[] = SIZES.map((size) => ({
  name: `adamUpdate matches the reference (Adam, weight decay, AdamW; steps 1 and 10), ${size} elements`,
  async run(engine) {
    const random = new Random(size + 29);
    const param = random.uniformArray(size);
    const grad = awayFromZero(size, random, 0.05, 1);
    const m = random.uniformArray(size, -0.1, 0.1);
    const v = random.uniformArray(size, 1e-4, 1e-2);
    const mask = pruningMask(size, random);
    const t = [param, grad, m, v, mask].map((values) => engine.tensor(values, [size]));
    for (const config of adamConfigs) {
      for (const step of [1, 10]) {
        const label = `${config.label}, step ${step}, ${size} elements`;
        const options = config.options;
        const out = engine.adamUpdate(t[0], t[1], t[2], t[3], t[4], { ...options, step });
        const expected = referenceOp('adamUpdate', { param, grad, m, v, mask }, { ...options, step });
        const actual = await Promise.all([out.param.read(), out.m.read(), out.v.read()]);
        ['param', 'm', 'v'].forEach((name, k) => {
          assertClose(actual[k], expected[k], stepTolerance, `${label}: ${name}`);
          expectPruned(actual[k], mask, `${label}: ${name}`);
        });
        for (const tensor of Object.values(out)) tensor.dispose();
      }
    }
  },
}));

const STEPS = 6;

async function sgdLoop(engine: Engine, config: SgdConfig, size: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const initial = random.uniformArray(size);
  const mask = pruningMask(size, random);
  const expected = Float64Array.from(initial);
  let buffer: Float64Array | null = null;
  const maskTensor = engine.tensor(mask, [size]);
  let param = engine.tensor(initial, [size]);
  let velocity = engine.zeros([size]);
  for (let step = 1; step <= STEPS; step++) {
    const grad = random.uniformArray(size);
    buffer = pytorchSgd(config.options, expected, grad, buffer, mask);
    const gradTensor = engine.tensor(grad, [size]);
    const next = engine.sgdUpdate(param, gradTensor, velocity, maskTensor, { ...config.options, firstStep: step === 1 });
    for (const old of [param, velocity, gradTensor]) old.dispose();
    ({ param, velocity } = next);
    const label = `sgd ${config.label}, step ${step} of ${STEPS}, ${size} elements`;
    const [actualParam, actualVelocity] = await Promise.all([param.read(), velocity.read()]);
    assertClose(actualParam, expected, loopTolerance, `${label}: param`);
    if (config.options.momentum > 0) assertClose(actualVelocity, buffer, loopTolerance, `${label}: velocity`);
    expectPruned(actualParam, mask, `${label}: param`);
    expectPruned(actualVelocity, mask, `${label}: velocity`);
  }
}

async function adamLoop(engine: Engine, config: AdamConfig, size: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const initial = random.uniformArray(size);
  const mask = pruningMask(size, random);
  const expected = Float64Array.from(initial);
  const expectedM = new Float64Array(size);
  const expectedV = new Float64Array(size);
  const maskTensor = engine.tensor(mask, [size]);
  let state = { param: engine.tensor(initial, [size]), m: engine.zeros([size]), v: engine.zeros([size]) };
  for (let step = 1; step <= STEPS; step++) {
    const grad = awayFromZero(size, random, 0.05, 1);
    pytorchAdam(config.options, step, expected, grad, expectedM, expectedV, mask);
    const gradTensor = engine.tensor(grad, [size]);
    const next = engine.adamUpdate(state.param, gradTensor, state.m, state.v, maskTensor, { ...config.options, step });
    for (const old of [...Object.values(state), gradTensor]) old.dispose();
    state = next;
    const label = `${config.label}, step ${step} of ${STEPS}, ${size} elements`;
    const actual = await Promise.all([state.param.read(), state.m.read(), state.v.read()]);
    [expected, expectedM, expectedV].forEach((values, k) => {
      const name = ['param', 'm', 'v'][k];
      assertClose(actual[k], values, loopTolerance, `${label}: ${name}`);
      expectPruned(actual[k], mask, `${label}: ${name}`);
    });
  }
}

const loopCases: TestCase[] = [
  ...sgdConfigs.flatMap((config, k) =>
    [7, 1000, 100_003].map((size): TestCase => ({
      name: `sgd ${config.label}: ${STEPS} steps in a row match a float64 PyTorch-style loop, ${size} elements`,
      run: (engine) => sgdLoop(engine, config, size, 100 * k + size),
    })),
  ),
  ...adamConfigs.flatMap((config, k) =>
    [7, 1000, 100_003].map((size): TestCase => ({
      name: `${config.label}: ${STEPS} steps in a row match a float64 PyTorch-style loop, ${size} elements`,
      run: (engine) => adamLoop(engine, config, size, 200 + 100 * k + size),
    })),
  ),
];

export const optimizersGroup: TestGroup = {
  name: 'optimizers',
  cases: [
    ...sgdReferenceCases,
    ...adamReferenceCases,
    ...loopCases,
    {
      name: 'nesterov steps by g + momentum * v, plain momentum by v',
      async run(engine) {
        // One element, second step: v = 0.9 * 1 + 2 = 2.9; plain: 1 - 0.5 * 2.9 = -0.45; nesterov: 1 - 0.5 * (2 + 0.9 * 2.9) = -1.305.
        const [param, grad, velocity, mask] = [1, 2, 1, 1].map((value) => engine.tensor([value], [1]));
        const options = { lr: 0.5, momentum: 0.9 };
        const plain = engine.sgdUpdate(param, grad, velocity, mask, options);
        const nesterov = engine.sgdUpdate(param, grad, velocity, mask, { ...options, nesterov: true });
        assertClose(await plain.param.read(), [-0.45], stepTolerance, 'plain momentum: param');
        assertClose(await nesterov.param.read(), [-1.305], stepTolerance, 'nesterov: param');
        assertClose(await nesterov.velocity.read(), [2.9], stepTolerance, 'nesterov: velocity');
        // The first step ignores the stored velocity: v = g = 2.
        const first = engine.sgdUpdate(param, grad, velocity, mask, { ...options, firstStep: true });
        assertClose(await first.velocity.read(), [2], { atol: 0, rtol: 0 }, 'first step: velocity');
      },
    },
    {
      name: 'AdamW decays the weights directly, Adam through the gradient',
      async run(engine) {
        // Zero gradient and moments, step 1: AdamW only scales param by 1 - lr * wd; Adam's gradient wd * param takes
        // a first step of lr * sign(param) (|wd * param| >= 1e-2 is far above eps, so the step is lr to 1e-6 relative).
        const size = 1000;
        const random = new Random(77);
        const param = awayFromZero(size, random, 0.1, 1);
        const [p, zeros, ones] = [
          engine.tensor(param, [size]),
          engine.zeros([size]),
          engine.tensor(new Float32Array(size).fill(1), [size]),
        ];
        const options = { lr: 0.01, weightDecay: 0.1, step: 1 };
        const adamW = engine.adamUpdate(p, zeros, zeros, zeros, ones, { ...options, decoupled: true });
        const adam = engine.adamUpdate(p, zeros, zeros, zeros, ones, options);
        const scaled = param.map((value) => value * (1 - 0.01 * 0.1));
        const signStep = param.map((value) => value - 0.01 * Math.sign(value));
        // param * (1 - 1e-3) is one float32 multiply by the rounded factor: within an ulp and a half.
        assertClose(await adamW.param.read(), scaled, { atol: 0, rtol: 1.5 * 2 ** -23 }, 'AdamW: param');
        assertClose(await adamW.m.read(), new Float32Array(size), { atol: 0, rtol: 0 }, 'AdamW: m');
        assertClose(await adam.param.read(), signStep, stepTolerance, 'Adam: param');
        assertClose(
          await adam.m.read(),
          param.map((value) => 0.1 * 0.1 * value),
          stepTolerance,
          'Adam: m',
        );
      },
    },
    {
      name: 'bias correction: the first Adam step is lr * sign(grad), the same moments at step 2 give 0.744 lr',
      async run(engine) {
        const size = 1000;
        const random = new Random(78);
        const param = random.uniformArray(size);
        const grad = awayFromZero(size, random, 0.01, 1);
        const mask = new Float32Array(size).fill(1);
        const [p, g, zeros, ones] = [
          engine.tensor(param, [size]),
          engine.tensor(grad, [size]),
          engine.zeros([size]),
          engine.tensor(mask, [size]),
        ];
        const lr = 1e-3;
        // Step 1: mhat = g and vhat = g^2 exactly, so the step is lr * g / (|g| + eps).
        const first = engine.adamUpdate(p, g, zeros, zeros, ones, { lr, step: 1 });
        const expectedFirst = param.map((value, i) => value - lr * Math.sign(grad[i]));
        assertClose(await first.param.read(), expectedFirst, stepTolerance, 'step 1: param');
        assertClose(
          await first.m.read(),
          grad.map((value) => 0.1 * value),
          stepTolerance,
          'step 1: m',
        );
        assertClose(
          await first.v.read(),
          grad.map((value) => 1e-3 * value * value),
          stepTolerance,
          'step 1: v',
        );
        // Claiming step 2 with the same moments: mhat = 0.1 g / 0.19 and sqrt(vhat) = |g| sqrt(1e-3 / 0.001999).
        const second = engine.adamUpdate(p, g, zeros, zeros, ones, { lr, step: 2 });
        const ratio = 0.1 / 0.19 / Math.sqrt(1e-3 / (1 - 0.999 ** 2));
        const expectedSecond = param.map((value, i) => value - lr * ratio * Math.sign(grad[i]));
        assertClose(await second.param.read(), expectedSecond, stepTolerance, 'step 2: param');
      },
    },
    {
      name: 'same bits on one and several WebAssembly threads',
      backends: ['wasm'],
      async run(engine) {
        const size = 100_003;
        const random = new Random(5);
        const values = [0, 1, 2, 3].map(() => random.uniformArray(size));
        const positive = random.uniformArray(size, 0, 1);
        const mask = pruningMask(size, random);
        await expectSameBitsOnThreadCounts('optimizers', engine, async (engine) => {
          const [param, grad, first, second] = values.map((v) => engine.tensor(v, [size]));
          const [v, keep] = [engine.tensor(positive, [size]), engine.tensor(mask, [size])];
          const sgd = engine.sgdUpdate(param, grad, first, keep, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true });
          const adam = engine.adamUpdate(param, grad, second, v, keep, { lr: 1e-3, weightDecay: 0.01, step: 3 });
          return Promise.all([sgd.param, sgd.velocity, adam.param, adam.m, adam.v].map((t) => t.read()));
        });
      },
    },
    {
      name: 'bad inputs are ShapeErrors naming the op, the tensors and the hyperparameter',
      async run(engine) {
        const a = engine.zeros([2, 3]);
        const b = engine.zeros([3, 2]);
        expectShapeError(() => engine.sgdUpdate(a, b, a, a, { lr: 0.1 }), 'sgdUpdate', "'param' and 'grad'", 'param [2, 3]', 'grad [3, 2]');
        expectShapeError(() => engine.sgdUpdate(a, a, a, b, { lr: 0.1 }), 'sgdUpdate', "'param' and 'mask'", 'mask [3, 2]');
        expectShapeError(() => engine.sgdUpdate(a, a, a, a, { lr: 0.1, nesterov: true }), 'sgdUpdate', 'nesterov', 'momentum 0');
        expectShapeError(() => engine.sgdUpdate(a, a, a, a, { lr: -1 }), 'sgdUpdate', 'lr', '-1');
        expectShapeError(() => engine.adamUpdate(a, a, b, a, a, { lr: 1e-3, step: 1 }), 'adam', "'param' and 'm'", 'm [3, 2]');
        expectShapeError(
          () => engine.adamUpdate(a, a, a, b, a, { lr: 1e-3, step: 1, decoupled: true }),
          'adamW',
          "'param' and 'v'",
          'v [3, 2]',
        );
        expectShapeError(() => engine.adamUpdate(a, a, a, a, a, { lr: 1e-3, step: 0 }), 'adam', 'step', 'got 0');
        expectShapeError(() => engine.adamUpdate(a, a, a, a, a, { lr: 1e-3, step: 1, beta1: 1 }), 'adam', 'beta1', '[0, 1)');
      },
    },
  ],
};
