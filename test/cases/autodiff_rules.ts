// Every gradient rule of the AssemblyScript core against central finite differences, on the host and on each backend.
import {
  Random,
  assertClose,
  bindProgram,
  createGraph,
  evaluateProgram,
  scheduleProgram,
  type Engine,
  type GraphBuilder,
  type HostArray,
  type Shape,
  type ValueId,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';

type Values = 'signed' | 'separated' | 'positive';

interface RuleCase {
  name: string;
  /** Builds the function under test from differentiable parameters made by `param`; returns its output. */
  build(g: GraphBuilder, param: (shape: Shape, values?: Values) => ValueId, input: (shape: Shape, data: HostArray) => ValueId): ValueId;
  /** Seeds with the op's own gradient output instead of a random probe (losses): returns [output, seed gradient]. */
  seeded?: boolean;
}

/** Finite differences perturb by ±EPS; inputs are O(1), so float32 rounding in the forward pass stays ~1e-4 of it. */
const EPS = 1e-2;
/** Gradient vs central difference: float32 forward passes, a difference quotient of step 2e-2. */
const FD_TOLERANCE = { atol: 5e-3, rtol: 1e-2 };
/** A backend's gradients vs the reference program's: both float32, different summation orders. */
const BACKEND_TOLERANCE = { atol: 2e-5, rtol: 1e-4 };
/** Entries per parameter checked by finite differences (all of them when fewer). */
const SAMPLES = 8;

function valuesFor(kind: Values, size: number, rng: Random): Float32Array {
  if (kind === 'separated') {
    // A shuffled ladder with gaps of 0.1 > 2·EPS: no perturbation changes which entry of a window is largest.
    const ladder = Float32Array.from({ length: size }, (_, i) => (i - size / 2) * 0.1);
    for (let i = size - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ladder[i], ladder[j]] = [ladder[j], ladder[i]];
    }
    return ladder;
  }
  // Away from zero by at least 0.1 > EPS so ReLU's kink is never crossed.
  const magnitude = rng.uniformArray(size, 0.1, 1);
  if (kind === 'positive') return magnitude;
  return magnitude.map((m) => (rng.uniformArray(1, 0, 1)[0] < 0.5 ? -m : m));
}

async function checkRule(engine: Engine, rule: RuleCase, seed: number): Promise<void> {
  const g = await createGraph();
  const rng = new Random(seed);
  const params: { id: ValueId; data: Float32Array }[] = [];
  const feeds = new Map<ValueId, HostArray>();
  const param = (shape: Shape, values: Values = 'signed'): ValueId => {
    const id = g.parameter(`p${params.length}`, shape);
    const data = valuesFor(
      values,
      shape.reduce((a, b) => a * b, 1),
      rng,
    );
    params.push({ id, data });
    feeds.set(id, data);
    return id;
  };
  const input = (shape: Shape, data: HostArray): ValueId => {
    const id = g.input(`in${feeds.size}`, shape, data instanceof Int32Array ? 'int32' : 'float32');
    feeds.set(id, data);
    return id;
  };
  try {
    const out = rule.build(g, param, input);
    const wrt = params.map((p) => p.id);
    if (rule.seeded) {
      // build returned the loss op's per-sample losses: its input is seeded with the op's second output, the gradient.
      const node = g.node(g.value(out).producer!);
      return await finish(engine, g, [[node.inputs[0], node.outputs[1]]], wrt, out, undefined, params, feeds);
    }
    const outShape = g.value(out).shape;
    const probe = rng.uniformArray(
      outShape.reduce((a, b) => a * b, 1),
      -1,
      1,
    );
    return await finish(engine, g, [[out, input(outShape, probe)]], wrt, out, probe, params, feeds);
  } finally {
    g.dispose();
  }
}

/** L = Σ out·probe (or the mean of the per-sample losses when probe is undefined), in float64. */
function lossOf(out: HostArray, probe: Float32Array | undefined): number {
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * (probe ? probe[i] : 1);
  return probe ? sum : sum / out.length;
}

async function finish(
  engine: Engine,
  g: GraphBuilder,
  seeds: [ValueId, ValueId][],
  wrt: ValueId[],
  out: ValueId,
  probe: Float32Array | undefined,
  params: { id: ValueId; data: Float32Array }[],
  feeds: Map<ValueId, HostArray>,
): Promise<void> {
  const gradients = g.backward(seeds, wrt);
  const gradientValues = params.map((p) => {
    const gradient = gradients.get(p.id);
    if (gradient === undefined) throw new Error(`no gradient reached parameter ${p.id}`);
    return gradient;
  });
  const forward = g.schedule([out]);
  const full = scheduleProgram(g, [out, ...gradientValues]);
  const reference = evaluateProgram(g, full.program, feeds, gradientValues);

  // The rule: the reference program's gradient against central differences of the reference forward pass.
  const rng = new Random(7);
  for (const [k, p] of params.entries()) {
    const exact = reference.get(gradientValues[k]) as Float32Array;
    const indices = p.data.length <= SAMPLES ? [...p.data.keys()] : Array.from({ length: SAMPLES }, () => rng.int(p.data.length));
    const numeric = new Float32Array(indices.length);
    const analytic = new Float32Array(indices.length);
    indices.forEach((index, j) => {
      const evaluateAt = (delta: number): number => {
        const moved = Float32Array.from(p.data);
        moved[index] += delta;
        const at = new Map(feeds).set(p.id, moved);
        return lossOf(evaluateProgram(g, forward, at, [out]).get(out)!, probe);
      };
      numeric[j] = (evaluateAt(EPS) - evaluateAt(-EPS)) / (2 * EPS);
      analytic[j] = exact[index];
    });
    assertClose(analytic, numeric, FD_TOLERANCE, `gradient of parameter ${k} vs central differences (entries ${indices.join(', ')})`);
  }

  // The backend: the same program on the engine's backend against the reference program.
  const backend = engine.backendImpl;
  const external = new Map<ValueId, ReturnType<typeof backend.alloc>>();
  for (const [value, data] of feeds) {
    if (!full.program.slotOf.has(value)) continue;
    const buffer = backend.alloc(data.byteLength);
    backend.write(buffer, data);
    external.set(value, buffer);
  }
  const bound = bindProgram(backend, full, external, 'rule test');
  try {
    backend.dispatch(bound.kernels);
    for (const [k, gradient] of gradientValues.entries()) {
      const expected = reference.get(gradient) as Float32Array;
      const actual = new Float32Array(await backend.read(bound.bufferOf(gradient), expected.byteLength));
      assertClose(actual, expected, BACKEND_TOLERANCE, `${engine.backend}: gradient of parameter ${k} vs the reference program`);
    }
  } finally {
    bound.release();
    for (const buffer of external.values()) backend.release(buffer);
  }
}

const matmulCases: RuleCase[] = [false, true].flatMap((transposeA) =>
  [false, true].map((transposeB) => ({
    name: `matmul${transposeA ? ' aᵀ' : ''}${transposeB ? ' bᵀ' : ''}`,
    build: (g: GraphBuilder, param: (shape: Shape) => ValueId) =>
      g.op('matmul', { a: param(transposeA ? [4, 3] : [3, 4]), b: param(transposeB ? [5, 4] : [4, 5]) }, { transposeA, transposeB }).out,
  })),
);

const ruleCases: RuleCase[] = [
  ...matmulCases,
  {
    name: 'matmul, 2-D b broadcast over a batch of a',
    build: (g, param) => g.op('matmul', { a: param([2, 3, 4]), b: param([5, 4]) }, { transposeA: false, transposeB: true }).out,
  },
  {
    name: 'matmul, 2-D a broadcast over a batch of b',
    build: (g, param) => g.op('matmul', { a: param([4, 3]), b: param([2, 4, 5]) }, { transposeA: true, transposeB: false }).out,
  },
  { name: 'biasAdd [N, C]', build: (g, param) => g.op('biasAdd', { x: param([3, 4]), bias: param([4]) }, {}).out },
  { name: 'biasAdd [N, C, H, W]', build: (g, param) => g.op('biasAdd', { x: param([2, 3, 2, 3]), bias: param([3]) }, {}).out },
  {
    name: 'channelAffine',
    build: (g, param) => g.op('channelAffine', { x: param([2, 3, 2, 2]), scale: param([3]), shift: param([3]) }, {}).out,
  },
  { name: 'relu', build: (g, param) => g.op('relu', { x: param([4, 6]) }, {}).out },
  ...(['add', 'sub', 'mul'] as const).map((op): RuleCase => ({
    name: `binary ${op}`,
    build: (g, param) => g.op('binary', { a: param([3, 5]), b: param([3, 5]) }, { op }).out,
  })),
  { name: 'binary mul of a value by itself (gradients summed)', build: (g, param) => sameTwice(g, param([3, 4])) },
  { name: 'scale', build: (g, param) => g.op('scale', { x: param([7]) }, { alpha: -1.5, beta: 0.25 }).out },
  {
    name: 'conv2d 3x3, stride 1, padding 1',
    build: (g, param) => g.op('conv2d', { x: param([2, 3, 5, 5]), w: param([4, 3, 3, 3]) }, { stride: 1, padding: 1 }).out,
  },
  {
    name: 'conv2d 3x2, stride [2, 1], padding [1, 0]',
    build: (g, param) => g.op('conv2d', { x: param([2, 2, 6, 5]), w: param([3, 2, 3, 2]) }, { stride: [2, 1], padding: [1, 0] }).out,
  },
  {
    name: 'pool2d max 2x2',
    build: (g, param) => g.op('pool2d', { x: param([2, 3, 4, 4], 'separated') }, { mode: 'max', size: 2, stride: 2, padding: 0 }).out,
  },
  {
    name: 'pool2d max 3x3 stride 2 padding 1 (overlapping windows)',
    build: (g, param) => g.op('pool2d', { x: param([1, 2, 5, 5], 'separated') }, { mode: 'max', size: 3, stride: 2, padding: 1 }).out,
  },
  {
    name: 'pool2d average 2x2',
    build: (g, param) => g.op('pool2d', { x: param([2, 2, 4, 6]) }, { mode: 'avg', size: 2, stride: 2, padding: 0 }).out,
  },
  {
    name: 'batch norm, train mode, [N, C, H, W]',
    build: (g, param) => trainBatchNorm(g, param([4, 3, 2, 2]), param([3]), param([3])),
  },
  { name: 'batch norm, train mode, [N, C]', build: (g, param) => trainBatchNorm(g, param([6, 4]), param([4]), param([4])) },
  {
    name: 'batch norm, eval mode (fixed statistics)',
    build: (g, param, input) =>
      g.op(
        'batchNormApply',
        {
          x: param([3, 2, 2, 2]),
          mean: input([2], Float32Array.from([0.2, -0.1])),
          variance: input([2], Float32Array.from([0.5, 1.5])),
          gamma: param([2]),
          beta: param([2]),
        },
        { eps: 1e-5 },
      ).out,
  },
  {
    name: 'reduce sum over the middle axis',
    build: (g, param) => g.op('reduce', { x: param([2, 3, 4]) }, { op: 'sum', outer: 2, R: 3, inner: 4 }).out,
  },
  {
    name: 'reduce mean over rows',
    build: (g, param) => g.op('reduce', { x: param([5, 3]) }, { op: 'mean', outer: 1, R: 5, inner: 3 }).out,
  },
  {
    name: 'reshape (a view) between two ops',
    build: (g, param) =>
      g.op(
        'matmul',
        { a: g.reshape(g.op('relu', { x: param([2, 3, 2]) }, {}).out, [2, 6]), b: param([6, 2]) },
        { transposeA: false, transposeB: false },
      ).out,
  },
  {
    name: 'softmax cross-entropy seeds the reverse pass of a linear layer',
    seeded: true,
    build: (g, param, input) => {
      const logits = g.op('matmul', { a: param([4, 5]), b: param([3, 5]) }, { transposeA: false, transposeB: true }).out;
      return g.op('softmaxCrossEntropy', { logits, labels: input([4], Int32Array.from([0, 2, 1, 2])) }, {}).losses;
    },
  },
  {
    name: 'mean squared error seeds the reverse pass',
    seeded: true,
    build: (g, param, input) => {
      const pred = g.op('biasAdd', { x: param([3, 4]), bias: param([4]) }, {}).out;
      return g.op('meanSquaredError', { pred, target: input([3, 4], new Random(3).uniformArray(12)) }, {}).losses;
    },
  },
];

function sameTwice(g: GraphBuilder, x: ValueId): ValueId {
  return g.op('binary', { a: x, b: x }, { op: 'mul' }).out;
}

function trainBatchNorm(g: GraphBuilder, x: ValueId, gamma: ValueId, beta: ValueId): ValueId {
  const { mean, variance } = g.op('moments', { x }, {});
  return g.op('batchNormApply', { x, mean, variance, gamma, beta }, { eps: 1e-5 }).out;
}

async function expectError(build: (g: GraphBuilder) => void, pattern: RegExp): Promise<void> {
  const g = await createGraph();
  try {
    build(g);
  } catch (error) {
    if (!pattern.test(String(error))) throw new Error(`expected an error matching ${pattern}, got ${String(error)}`);
    return;
  } finally {
    g.dispose();
  }
  throw new Error(`expected an error matching ${pattern}, got none`);
}

const errorCases: TestCase[] = [
  {
    name: 'a max reduction on the path to the loss is named as having no gradient rule',
    async run() {
      await expectError((g) => {
        const x = g.parameter('x', [3, 4]);
        const out = g.withLabel('7 (custom)', () => g.op('reduce', { x }, { op: 'max', outer: 1, R: 3, inner: 4 }).out);
        g.backward([[out, g.input('dy', [1, 4])]], [x]);
      }, /max reduction has no gradient rule \(in 7 \(custom\)/);
    },
  },
  {
    name: 'a gradient through an optimizer step is refused, naming the op',
    async run() {
      await expectError((g) => {
        const p = g.parameter('p', [4]);
        const { newParam } = g.op(
          'sgdUpdate',
          { param: p, grad: p, velocity: g.constant([4], 0), mask: g.constant([4], 1) },
          { lr: 0.1, momentum: 0, weightDecay: 0, dampening: 0, nesterov: false, firstStep: false },
        );
        g.backward([[newParam, g.input('dy', [4])]], [p]);
      }, /'sgdUpdate' is not differentiable/);
    },
  },
  {
    name: 'batch-norm statistics that are not moments of the same input are refused',
    async run() {
      await expectError((g) => {
        const x = g.parameter('x', [4, 2]);
        const other = g.parameter('other', [4, 2]);
        const { mean, variance } = g.op('moments', { x: other }, {});
        const out = g.op('batchNormApply', { x, mean, variance, gamma: g.constant([2], 1), beta: g.constant([2], 0) }, { eps: 1e-5 }).out;
        g.backward([[out, g.input('dy', [4, 2])]], [x, other]);
      }, /not moments\(\) of the same input/);
    },
  },
  {
    name: 'shape errors name the layer that added the node',
    async run() {
      await expectError((g) => {
        const x = g.input('x', [2, 5]);
        g.withLabel('3 (linear)', () =>
          g.op('matmul', { a: x, b: g.parameter('3.weight', [4, 6]) }, { transposeA: false, transposeB: true }),
        );
      }, /inner dimensions differ.*\(in 3 \(linear\)\)/);
    },
  },
];

export const autodiffRulesGroup: TestGroup = {
  name: 'autodiff rules',
  cases: [
    ...ruleCases.map((rule, i): TestCase => ({
      name: `${rule.name}: gradient vs finite differences`,
      run: (engine) => checkRule(engine, rule, 100 + i),
    })),
    ...errorCases,
  ],
};
