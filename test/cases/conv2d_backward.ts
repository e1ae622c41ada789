// Conv2d gradients (conv2dBackwardInput, conv2dBackwardFilter) against their references, the references against
// central finite differences of the forward conv2d reference, the WebAssembly kernels against their naive oracles and
// across thread counts, and shape errors.
import { Random, assertClose, createEngine, referenceOp, type Engine } from 'emergence-engine';
import { dotTolerance, expectShapeError } from './matmul.js';
import type { TestCase, TestGroup } from './types.js';

type Pair = number | [number, number];

interface Conv {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: Pair;
  padding: Pair;
}

const pair = (value: Pair): [number, number] => (Array.isArray(value) ? value : [value, value]);
const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function describe({ x, w, stride, padding }: Conv): string {
  return `x [${x}] w [${w}] stride ${JSON.stringify(stride)} padding ${JSON.stringify(padding)}`;
}

/** Shape of the forward output, which is dy's shape. */
function outputShape({ x, w, stride, padding }: Conv): [number, number, number, number] {
  const [SH, SW] = pair(stride);
  const [PH, PW] = pair(padding);
  return [x[0], w[0], Math.floor((x[2] + 2 * PH - w[2]) / SH) + 1, Math.floor((x[3] + 2 * PW - w[3]) / SW) + 1];
}

/** Random x, w, dy for a convolution, and the reference gradients. */
function problem(conv: Conv, seed: number) {
  const rng = new Random(seed);
  const dyShape = outputShape(conv);
  const x = rng.uniformArray(sizeOf(conv.x));
  const w = rng.uniformArray(sizeOf(conv.w));
  const dy = rng.uniformArray(sizeOf(dyShape));
  const inputAttrs = { stride: conv.stride, padding: conv.padding, inputSize: [conv.x[2], conv.x[3]] as [number, number] };
  const filterAttrs = { stride: conv.stride, padding: conv.padding, kernelSize: [conv.w[2], conv.w[3]] as [number, number] };
  const [dx] = referenceOp('conv2dBackwardInput', { dy, w }, inputAttrs, { dy: dyShape, w: conv.w });
  const [dw] = referenceOp('conv2dBackwardFilter', { x, dy }, filterAttrs, { x: conv.x, dy: dyShape });
  // dx sums at most O*KH*KW products, dw N*OH*OW.
  const inputTolerance = dotTolerance(conv.w[0] * conv.w[2] * conv.w[3]);
  const filterTolerance = dotTolerance(dyShape[0] * dyShape[2] * dyShape[3]);
  return { dyShape, x, w, dy, inputAttrs, filterAttrs, dx, dw, inputTolerance, filterTolerance };
}

/** Runs both gradients on the engine (fast, and naive when asked) and compares them with the references. */
async function checkGradients(engine: Engine, conv: Conv, seed: number, alsoNaive: boolean): Promise<void> {
  const p = problem(conv, seed);
  const label = describe(conv);
  const x = engine.tensor(p.x, conv.x);
  const w = engine.tensor(p.w, conv.w);
  const dy = engine.tensor(p.dy, p.dyShape);
  const dx = await engine.conv2dBackwardInput(dy, w, p.inputAttrs).read();
  assertClose(dx, p.dx, p.inputTolerance, `conv2dBackwardInput ${label} vs reference`);
  const dw = await engine.conv2dBackwardFilter(x, dy, p.filterAttrs).read();
  assertClose(dw, p.dw, p.filterTolerance, `conv2dBackwardFilter ${label} vs reference`);
  if (alsoNaive) {
    const naiveDx = await engine.run('conv2dBackwardInput', { dy, w }, p.inputAttrs, 'conv2dBackwardInput', 'naive').dx.read();
    assertClose(naiveDx, p.dx, p.inputTolerance, `naive conv2dBackwardInput ${label} vs reference`);
    const naiveDw = await engine.run('conv2dBackwardFilter', { x, dy }, p.filterAttrs, 'conv2dBackwardFilter', 'naive').dw.read();
    assertClose(naiveDw, p.dw, p.filterTolerance, `naive conv2dBackwardFilter ${label} vs reference`);
  }
}

const referenceConvs: Conv[] = [
  // 3x3, stride 1, padding 1 on a non-square image.
  { x: [2, 3, 9, 13], w: [5, 3, 3, 3], stride: 1, padding: 1 },
  // Stride 2, padding 1, odd sizes: the last row and column of x are reached by one tap only.
  { x: [2, 4, 15, 11], w: [6, 4, 3, 3], stride: 2, padding: 1 },
  // Stride 3 with a 3x3 window and padding 1 on 14x14: the last rows and columns are never reached (dx = 0 there).
  { x: [1, 3, 14, 14], w: [4, 3, 3, 3], stride: 3, padding: 1 },
  // 5x5 window, stride and padding given per axis.
  { x: [1, 3, 17, 12], w: [4, 3, 5, 5], stride: [2, 3], padding: 2 },
  // 1x1 windows with and without stride (stride 2 skips every other pixel).
  { x: [2, 16, 7, 5], w: [24, 16, 1, 1], stride: 1, padding: 0 },
  { x: [1, 5, 9, 8], w: [3, 5, 1, 1], stride: 2, padding: 0 },
  // Padding wider than the window: border outputs see only zeros.
  { x: [1, 2, 4, 6], w: [3, 2, 1, 1], stride: 1, padding: 2 },
  // Non-square window and per-axis stride and padding.
  { x: [2, 3, 10, 14], w: [4, 3, 3, 5], stride: [1, 2], padding: [1, 2] },
  // A window as large as the input: one output position.
  { x: [3, 2, 5, 4], w: [7, 2, 5, 4], stride: 1, padding: 0 },
  // Size-1 dimensions everywhere.
  { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, padding: 0 },
  { x: [1, 1, 1, 7], w: [1, 1, 1, 3], stride: [1, 2], padding: [0, 1] },
  // 136 output channels: dx's GEMM depth and dw's rows span more than one packed block.
  { x: [2, 4, 6, 5], w: [136, 4, 3, 3], stride: 1, padding: 1 },
  // 900 output positions: dw's GEMM depth spans several packed blocks.
  { x: [1, 3, 30, 30], w: [8, 3, 3, 3], stride: 1, padding: 1 },
];

const referenceCases: TestCase[] = referenceConvs.map((conv, index) => ({
  name: describe(conv),
  run: (engine) => checkGradients(engine, conv, 200 + index, false),
}));

/** Layers big enough to run on every WebAssembly thread, against the naive kernels as well. */
const oracleConvs: Conv[] = [
  { x: [4, 32, 16, 16], w: [64, 32, 3, 3], stride: 1, padding: 1 },
  { x: [2, 3, 33, 31], w: [16, 3, 5, 5], stride: 2, padding: 2 },
  { x: [1, 64, 6, 6], w: [128, 64, 3, 3], stride: 1, padding: 1 },
];

const oracleCases: TestCase[] = oracleConvs.map((conv, index) => ({
  name: `${describe(conv)}, fast vs naive vs reference`,
  backends: ['wasm'],
  run: (engine) => checkGradients(engine, conv, 300 + index, true),
}));

/** WebGPU keeps the one-thread-per-element filter gradient as the oracle of its workgroup-reduction kernel. */
const gpuOracleConvs: Conv[] = [
  { x: [2, 3, 9, 13], w: [5, 3, 3, 3], stride: 1, padding: 1 },
  { x: [3, 1, 28, 28], w: [4, 1, 3, 3], stride: 1, padding: 0 },
];

const gpuOracleCases: TestCase[] = gpuOracleConvs.map((conv, index): TestCase => ({
  name: `${describe(conv)}, filter gradient: workgroup reduction vs one thread per element vs reference`,
  backends: ['webgpu'],
  async run(engine) {
    const p = problem(conv, 400 + index);
    const x = engine.tensor(p.x, conv.x);
    const dy = engine.tensor(p.dy, p.dyShape);
    const fast = await engine.conv2dBackwardFilter(x, dy, p.filterAttrs).read();
    const naive = await engine.run('conv2dBackwardFilter', { x, dy }, p.filterAttrs, 'conv2dBackwardFilter', 'naive').dw.read();
    assertClose(fast, p.dw, p.filterTolerance, `conv2dBackwardFilter ${describe(conv)} vs reference`);
    assertClose(naive, p.dw, p.filterTolerance, `naive conv2dBackwardFilter ${describe(conv)} vs reference`);
  },
}));

/** L(x, w) = sum(conv2d(x, w) * r), from the float64-accumulated forward reference. */
function lossOf(conv: Conv, x: Float32Array, w: Float32Array, r: Float32Array): number {
  const [y] = referenceOp('conv2d', { x, w }, { stride: conv.stride, padding: conv.padding }, { x: conv.x, w: conv.w });
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] * r[i];
  return sum;
}

/**
 * Central differences of L in every element of `values` (x or w). L is linear in each, so a large step (0.5) is
 * exact up to the float32 rounding of the forward outputs; the step actually taken is measured in float32.
 */
function finiteDifferences(values: Float32Array, loss: (perturbed: Float32Array) => number): Float64Array {
  const gradient = new Float64Array(values.length);
  const perturbed = Float32Array.from(values);
  for (let i = 0; i < values.length; i++) {
    perturbed[i] = values[i] + 0.5;
    const up = perturbed[i];
    const lossUp = loss(perturbed);
    perturbed[i] = values[i] - 0.5;
    const down = perturbed[i];
    const lossDown = loss(perturbed);
    perturbed[i] = values[i];
    gradient[i] = (lossUp - lossDown) / (up - down);
  }
  return gradient;
}

/**
 * Forward outputs are float32 (relative error 2^-24 each); L sums OH*OW*O of them times r in [-1, 1], and the
 * difference divides by 1, so the finite differences are good to about 1e-6 here; 1e-5 leaves room.
 */
const finiteDifferenceTolerance = { atol: 1e-5, rtol: 1e-5 };

const gradientConvs: Conv[] = [
  { x: [2, 2, 5, 6], w: [3, 2, 3, 2], stride: [2, 1], padding: [1, 0] },
  // Stride 3: taps whose offset is not a whole number of strides, and a last row and column never reached.
  { x: [1, 2, 8, 7], w: [2, 2, 2, 3], stride: 3, padding: 1 },
];

const gradientCases: TestCase[] = gradientConvs.map((conv, index) => ({
  name: `references are the gradient of conv2d by central differences: ${describe(conv)}`,
  async run(engine) {
    const p = problem(conv, 400 + index);
    const r = p.dy; // L = sum(conv2d(x, w) * r), so dL/dy = r.
    const label = describe(conv);
    const fdInput = finiteDifferences(p.x, (x) => lossOf(conv, x, p.w, r));
    assertClose(p.dx, fdInput, finiteDifferenceTolerance, `conv2dBackwardInput reference ${label} vs finite differences`);
    const fdFilter = finiteDifferences(p.w, (w) => lossOf(conv, p.x, w, r));
    assertClose(p.dw, fdFilter, finiteDifferenceTolerance, `conv2dBackwardFilter reference ${label} vs finite differences`);
    // And the engine's kernels against the same finite differences.
    const dy = engine.tensor(r, p.dyShape);
    const dx = await engine.conv2dBackwardInput(dy, engine.tensor(p.w, conv.w), p.inputAttrs).read();
    assertClose(dx, fdInput, p.inputTolerance, `conv2dBackwardInput ${label} vs finite differences`);
    const dw = await engine.conv2dBackwardFilter(engine.tensor(p.x, conv.x), dy, p.filterAttrs).read();
    assertClose(dw, fdFilter, p.filterTolerance, `conv2dBackwardFilter ${label} vs finite differences`);
  },
}));

const determinismCase: TestCase = {
  name: 'WebAssembly gradients are bit-identical on one thread and on the engine threads',
  backends: ['wasm'],
  async run(engine) {
    const conv: Conv = { x: [4, 32, 12, 12], w: [64, 32, 3, 3], stride: 1, padding: 1 };
    const p = problem(conv, 500);
    const gradients = async (e: Engine): Promise<Float32Array[]> => {
      const dy = e.tensor(p.dy, p.dyShape);
      const dx = await e.conv2dBackwardInput(dy, e.tensor(p.w, conv.w), p.inputAttrs).read();
      const dw = await e.conv2dBackwardFilter(e.tensor(p.x, conv.x), dy, p.filterAttrs).read();
      return [dx, dw];
    };
    const [dx, dw] = await gradients(engine);
    const single = await createEngine({ backend: 'wasm', threads: 1 });
    try {
      const [singleDx, singleDw] = await gradients(single);
      assertClose(singleDx, dx, { atol: 0, rtol: 0 }, 'conv2dBackwardInput, one thread vs the engine threads');
      assertClose(singleDw, dw, { atol: 0, rtol: 0 }, 'conv2dBackwardFilter, one thread vs the engine threads');
    } finally {
      await single.dispose();
    }
  },
};

const errorCases: TestCase[] = [
  {
    name: 'dy that is not the conv2d output shape is an error naming the op and the shapes',
    async run(engine) {
      const w = engine.zeros([4, 3, 3, 3]);
      const x = engine.zeros([2, 3, 8, 8]);
      const badDy = engine.zeros([2, 4, 7, 8]);
      const opts = { stride: 1, padding: 1 };
      expectShapeError(() => engine.conv2dBackwardInput(badDy, w, { ...opts, inputSize: [8, 8] }), 'conv2dBackwardInput', '[2, 4, 7, 8]');
      expectShapeError(
        () => engine.conv2dBackwardFilter(x, badDy, { ...opts, kernelSize: [3, 3] }),
        'conv2dBackwardFilter',
        '[2, 4, 7, 8]',
      );
      expectShapeError(
        () => engine.conv2dBackwardInput(engine.zeros([2, 5, 8, 8]), w, { ...opts, inputSize: [8, 8] }),
        'conv2dBackwardInput',
        '[4, 3, 3, 3]',
      );
    },
  },
];

export const conv2dBackwardGroup: TestGroup = {
  name: 'conv2d backward',
  cases: [...referenceCases, ...oracleCases, ...gpuOracleCases, ...gpuOracleCases, ...gradientCases, determinismCase, ...errorCases],
};
