// selfCheck: runs every kernel (fast, and naive where one exists) on seeded random inputs of a few sizes on the engine's
// backend, compares each with the TypeScript reference and times it.
import type { BackendKind } from '../backend/backend.js';
import { gpuKernels } from '../backend/webgpu/kernels.js';
import { wasmKernels } from '../backend/wasm/kernels.js';
import type { Engine } from '../engine.js';
import type { OpName } from '../ops/defs.js';
import { opSpecs } from '../ops/specs.js';
import { Random } from '../random.js';
import { referenceOp } from '../reference/index.js';
import type { HostArray } from '../reference/table.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';
import type { Tensor } from '../tensor.js';
import { compareArrays, type Tolerance } from './compare.js';

export interface SelfCheckRow {
  /** The op, with its operator or mode where it has one ('binary add', 'pool2d max'), and ' (naive)' for the oracle kernel. */
  kernel: string;
  /** Input shapes and attributes, e.g. 'a [128, 96], b [64, 96], transposeB'. */
  shape: string;
  backend: BackendKind;
  /** Largest |actual - expected| over every output; Infinity when the kernel failed to run. */
  maxError: number;
  tolerance: Tolerance;
  ok: boolean;
  /** Median wall time of the timed runs, including the wait for the device. */
  ms: number;
  /** Why the row failed: the first element outside the tolerance, or the error the kernel threw. */
  error?: string;
}

export interface SelfCheckOptions {
  /** Seed of the random inputs; default 0. */
  seed?: number;
  /** Timed runs per row after one warm-up run; the median is reported. Default 3. */
  repeats?: number;
  /** Only these ops; default every op in the op table. */
  ops?: OpName[];
  /** Called with each row as soon as it is measured (for progress output). */
  onRow?: (row: SelfCheckRow) => void;
}

/** One self-check input set: shapes and attributes, plus how to draw the values and how close they must come. */
interface CheckCase {
  op: OpName;
  /** Suffix of the kernel label ('add', 'max'), for ops whose attributes pick an operator. */
  variantLabel?: string;
  shapes: Record<string, Shape>;
  attrs: Record<string, unknown>;
  /** Values for input `name`; default uniform in [-1, 1]. */
  values?: (name: string, size: number, random: Random) => Float32Array | Int32Array;
  tolerance: Tolerance;
}

const exact: Tolerance = { atol: 0, rtol: 0 };
/**
 * Sums of K products of values in [-1, 1] drift by about sqrt(K) float32 ulps of their partial sums in any summation
 * order; the allowance is the one test/cases/matmul.ts measured and justifies.
 */
const dotTolerance = (K: number): Tolerance => ({ atol: 1e-5 * Math.sqrt(K), rtol: 1e-5 });
/** x * alpha + beta may be fused (one rounding) or not (two). */
const scaleTolerance: Tolerance = { atol: 1e-6, rtol: 2.4e-7 };
/** Averages and statistics over a few thousand values: a few float32 ulps of the result. */
const statisticTolerance: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Normalization and softmax: exp, sqrt and division each add an ulp or two on top of the statistics. */
const normalizedTolerance: Tolerance = { atol: 1e-5, rtol: 1e-5 };

const positive = (_name: string, size: number, random: Random): Float32Array => random.uniformArray(size, 0.1, 2);
/**
 * One optimizer step from values in [-1, 1] (second moments in [0.1, 2]): a few float32 roundings of terms of order 1,
 * plus Adam's sqrt and divisions (a few ulps each, scaled by lr); test/cases/optimizers.ts measures and justifies it.
 */
const optimizerTolerance: Tolerance = { atol: 1e-6, rtol: 1e-6 };
/** Optimizer inputs: a pruning mask of zeros and ones (about a fifth pruned), positive second moments, else [-1, 1]. */
const optimizerValues = (name: string, size: number, random: Random): Float32Array =>
  name === 'mask'
    ? Float32Array.from({ length: size }, () => (random.uniform() < 0.2 ? 0 : 1))
    : name === 'v'
      ? positive(name, size, random)
      : random.uniformArray(size);

function cases(): CheckCase[] {
  const list: CheckCase[] = [];
  // Stored shapes: a transposed operand is given as it lies in memory.
  for (const [a, b, transposeA, transposeB] of [
    [[7, 13], [13, 5], false, false],
    [[96, 128], [64, 96], true, true],
    [[256, 256], [256, 256], false, false],
    [[4, 33, 17], [29, 17], false, true],
  ] as [Shape, Shape, boolean, boolean][]) {
    const K = transposeA ? a[a.length - 2] : a[a.length - 1];
    list.push({ op: 'matmul', shapes: { a, b }, attrs: { transposeA, transposeB }, tolerance: dotTolerance(K) });
  }
  for (const [x, w, stride, padding] of [
    [[2, 3, 17, 17], [8, 3, 3, 3], 1, 1],
    [[4, 16, 16, 16], [32, 16, 3, 3], 1, 1],
    [[1, 8, 15, 13], [4, 8, 5, 5], 2, 2],
  ] as [Shape, Shape, number, number][]) {
    list.push({ op: 'conv2d', shapes: { x, w }, attrs: { stride, padding }, tolerance: dotTolerance(w[1] * w[2] * w[3]) });
  }
  // Conv2d gradients: [x, w, stride, padding]; dy has the forward output's shape.
  for (const [x, w, stride, padding] of [
    [[2, 3, 17, 17], [8, 3, 3, 3], 1, 1],
    [[4, 16, 16, 16], [32, 16, 3, 3], 1, 1],
    [[2, 8, 15, 13], [4, 8, 5, 5], 2, 2],
  ] as [Shape, Shape, number, number][]) {
    const [N, , H, W] = x;
    const [O, , KH, KW] = w;
    const dy = [N, O, Math.floor((H + 2 * padding - KH) / stride) + 1, Math.floor((W + 2 * padding - KW) / stride) + 1];
    list.push({
      op: 'conv2dBackwardInput',
      shapes: { dy, w },
      attrs: { stride, padding, inputSize: [H, W] },
      tolerance: dotTolerance(O * KH * KW),
    });
    list.push({
      op: 'conv2dBackwardFilter',
      shapes: { x, dy },
      attrs: { stride, padding, kernelSize: [KH, KW] },
      tolerance: dotTolerance(N * dy[2] * dy[3]),
    });
  }
  for (const x of [
    [7, 13],
    [8, 16, 12, 12],
  ] as Shape[]) {
    list.push({ op: 'biasAdd', shapes: { x, bias: [x[1]] }, attrs: {}, tolerance: exact });
    list.push({ op: 'channelAffine', shapes: { x, scale: [x[1]], shift: [x[1]] }, attrs: {}, tolerance: scaleTolerance });
  }
  for (const size of [1001, 262_147]) {
    list.push({ op: 'relu', shapes: { x: [size] }, attrs: {}, tolerance: exact });
    list.push({ op: 'reluMask', shapes: { x: [size] }, attrs: {}, tolerance: exact });
    for (const op of ['add', 'sub', 'mul']) {
      list.push({ op: 'binary', variantLabel: op, shapes: { a: [size], b: [size] }, attrs: { op }, tolerance: exact });
    }
    list.push({ op: 'scale', shapes: { x: [size] }, attrs: { alpha: 1.5, beta: -0.25 }, tolerance: scaleTolerance });
    list.push({ op: 'countAbove', shapes: { x: [size] }, attrs: { threshold: 0.25 }, tolerance: exact });
  }
  for (const [x, size, stride, padding] of [
    [[2, 3, 17, 17], 2, 2, 0],
    [[4, 16, 32, 32], 3, 2, 1],
  ] as [Shape, number, number, number][]) {
    for (const mode of ['max', 'avg']) {
      const tolerance = mode === 'max' ? exact : { atol: size * size * 2 ** -24, rtol: 2 ** -23 };
      list.push({ op: 'pool2d', variantLabel: mode, shapes: { x }, attrs: { mode, size, stride, padding }, tolerance });
      // Each dx element sums at most `covering` window gradients in [-1, 1] in float32 (then / KH*KW for average).
      const covering = Math.ceil(size / stride) ** 2;
      const dy = [x[0], x[1], Math.floor((x[2] + 2 * padding - size) / stride) + 1, Math.floor((x[3] + 2 * padding - size) / stride) + 1];
      list.push({
        op: 'pool2dBackward',
        variantLabel: mode,
        shapes: { x, dy },
        attrs: { mode, size, stride, padding },
        tolerance: { atol: covering * 2 ** -24, rtol: 2 ** -23 },
      });
    }
  }
  for (const x of [
    [64, 32],
    [8, 16, 14, 14],
  ] as Shape[]) {
    const C = [x[1]];
    list.push({ op: 'moments', shapes: { x }, attrs: {}, tolerance: statisticTolerance });
    list.push({
      op: 'batchNormApply',
      shapes: { x, mean: C, variance: C, gamma: C, beta: C },
      attrs: { eps: 1e-5 },
      values: (name, size, random) => (name === 'variance' ? positive(name, size, random) : random.uniformArray(size)),
      tolerance: normalizedTolerance,
    });
    for (const statistic of ['mean', 'fraction']) {
      list.push({
        op: 'nodeStatistic',
        variantLabel: statistic,
        shapes: { x },
        attrs: { statistic, threshold: 0.05 },
        tolerance: statistic === 'mean' ? statisticTolerance : exact,
      });
    }
  }
  for (const [N, C] of [
    [7, 3],
    [128, 10],
    [64, 1000],
  ]) {
    list.push({
      op: 'softmaxCrossEntropy',
      shapes: { logits: [N, C], labels: [N] },
      attrs: {},
      values: (name, size, random) =>
        name === 'labels' ? Int32Array.from({ length: size }, () => random.int(C)) : random.normalArray(size, 0, 2),
      tolerance: normalizedTolerance,
    });
  }
  for (const shape of [
    [7, 3],
    [128, 10],
    [16, 3, 28, 28],
  ] as Shape[]) {
    list.push({ op: 'meanSquaredError', shapes: { pred: shape, target: shape }, attrs: {}, tolerance: statisticTolerance });
  }
  for (const [outer, R, inner] of [
    [1, 1000, 1],
    [32, 257, 16],
  ]) {
    for (const op of ['sum', 'mean', 'max']) {
      const tolerance = op === 'max' ? exact : op === 'sum' ? dotTolerance(R) : { atol: 1e-5 / Math.sqrt(R), rtol: 1e-5 };
      list.push({ op: 'reduce', variantLabel: op, shapes: { x: [outer, R, inner] }, attrs: { op, outer, R, inner }, tolerance });
    }
  }
  for (const size of [1001, 262_147]) {
    const shapes = { param: [size], grad: [size], velocity: [size], mask: [size] };
    list.push({
      op: 'sgdUpdate',
      variantLabel: 'nesterov',
      shapes,
      attrs: { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, dampening: 0, nesterov: true, firstStep: false },
      values: optimizerValues,
      tolerance: optimizerTolerance,
    });
    for (const decoupled of [false, true]) {
      list.push({
        op: 'adamUpdate',
        variantLabel: decoupled ? 'adamW' : 'adam',
        shapes: { param: [size], grad: [size], m: [size], v: [size], mask: [size] },
        attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step: 3 },
        values: optimizerValues,
        tolerance: optimizerTolerance,
      });
    }
  }
  return list;
}

function describeCase(c: CheckCase): string {
  // Inputs of the same shape share one entry: 'mean, variance, gamma, beta [16]'.
  const groups: { names: string[]; shape: Shape }[] = [];
  for (const [name, shape] of Object.entries(c.shapes)) {
    const last = groups.at(-1);
    if (last && formatShape(last.shape) === formatShape(shape)) last.names.push(name);
    else groups.push({ names: [name], shape });
  }
  const shapes = groups.map(({ names, shape }) => `${names.join(', ')} ${formatShape(shape)}`);
  const attrs = Object.entries(c.attrs)
    .filter(([name, value]) => value !== false && !['op', 'mode', 'statistic', 'outer', 'R', 'inner'].includes(name))
    .map(([name, value]) => (value === true ? name : `${name} ${value}`));
  return [...shapes, ...attrs].join(', ');
}

function hasNaive(backend: BackendKind, op: OpName): boolean {
  const table = backend === 'wasm' ? wasmKernels : gpuKernels;
  return table[op]?.naive !== undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs one case with one kernel variant on the engine and checks every output against the reference. */
async function checkCase(
  engine: Engine,
  c: CheckCase,
  naive: boolean,
  inputs: Record<string, HostArray>,
  expected: HostArray[],
  repeats: number,
): Promise<SelfCheckRow> {
  const kernel = `${c.op}${c.variantLabel ? ` ${c.variantLabel}` : ''}${naive ? ' (naive)' : ''}`;
  const row: SelfCheckRow = {
    kernel,
    shape: describeCase(c),
    backend: engine.backend,
    maxError: Infinity,
    tolerance: c.tolerance,
    ok: false,
    ms: NaN,
  };
  const tensors: Tensor<'float32' | 'int32'>[] = [];
  try {
    const named: Record<string, Tensor<'float32' | 'int32'>> = {};
    for (const name of opSpecs[c.op].inputs) {
      const values = inputs[name];
      named[name] = values instanceof Int32Array ? engine.tensor(values, c.shapes[name]) : engine.tensor(values, c.shapes[name]);
      tensors.push(named[name]);
    }
    const run = (): Tensor[] => {
      const outputs = engine.run(c.op, named as never, c.attrs as never, c.op, naive ? 'naive' : 'fast');
      return opSpecs[c.op].outputs.map((name) => (outputs as Record<string, Tensor>)[name]);
    };
    // The first run compiles pipelines and warms caches; it is not timed.
    for (const t of run()) await t.read().finally(() => t.dispose());
    const times: number[] = [];
    let outputs: Tensor[] = [];
    for (let i = 0; i < repeats; i++) {
      for (const t of outputs) t.dispose();
      const start = performance.now();
      outputs = run();
      await engine.sync();
      times.push(performance.now() - start);
    }
    row.ms = median(times);
    const actual = await Promise.all(outputs.map((t) => t.read()));
    for (const t of outputs) t.dispose();
    row.maxError = 0;
    row.ok = true;
    actual.forEach((values, i) => {
      const name = opSpecs[c.op].outputs[i];
      const comparison = compareArrays(values, expected[i], c.tolerance, `${kernel} '${name}'`);
      row.maxError = Math.max(row.maxError, comparison.maxError);
      if (!comparison.ok && row.ok) {
        row.ok = false;
        row.error = comparison.message;
      }
    });
  } catch (error) {
    row.ok = false;
    row.error = error instanceof Error ? error.message : String(error);
  } finally {
    for (const t of tensors) t.dispose();
  }
  return row;
}

/**
 * Runs every kernel on the engine's backend against the TypeScript reference: each op on a few input sizes (odd sizes,
 * sizes that cross workgroup and thread boundaries, and a few hundred thousand elements), fast and, where the backend
 * has one, naive. Never throws for a failing kernel: the row says what went wrong.
 */
export async function selfCheck(engine: Engine, options: SelfCheckOptions = {}): Promise<SelfCheckRow[]> {
  const repeats = Math.max(1, options.repeats ?? 3);
  const only = options.ops ? new Set<OpName>(options.ops) : undefined;
  const random = new Random(options.seed ?? 0);
  const rows: SelfCheckRow[] = [];
  for (const c of cases()) {
    if (only && !only.has(c.op)) continue;
    const inputs: Record<string, HostArray> = {};
    for (const name of opSpecs[c.op].inputs) {
      const size = sizeOf(c.shapes[name]);
      inputs[name] = c.values ? c.values(name, size, random) : random.uniformArray(size);
    }
    let expected: HostArray[];
    try {
      expected = referenceOp(c.op, inputs as never, c.attrs as never, c.shapes as never);
    } catch (error) {
      const row: SelfCheckRow = {
        kernel: c.op,
        shape: describeCase(c),
        backend: engine.backend,
        maxError: Infinity,
        tolerance: c.tolerance,
        ok: false,
        ms: NaN,
        error: `reference: ${error instanceof Error ? error.message : String(error)}`,
      };
      rows.push(row);
      options.onRow?.(row);
      continue;
    }
    for (const naive of hasNaive(engine.backend, c.op) ? [false, true] : [false]) {
      const row = await checkCase(engine, c, naive, inputs, expected, repeats);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
