// Shape rules of the primitive ops: input order, validation with named errors, output metadata and kernel dimensions.
import { ShapeError } from '../errors.js';
import { sizeOf, type DType, type Shape } from '../tensor-meta.js';
import {
  binaryOps,
  nodeStatistics,
  poolModes,
  reduceOps,
  type AttrsOf,
  type Inferred,
  type InputName,
  type OpName,
  type OutputName,
  type TensorMeta,
  type WindowDims,
} from './defs.js';

export interface OpSpec<K extends OpName> {
  /** Input names in the order kernels bind them. */
  inputs: readonly InputName<K>[];
  /** Output names in the order kernels bind them. */
  outputs: readonly OutputName<K>[];
  /** Element type each input must have. */
  inputTypes: Record<InputName<K>, DType>;
  infer(inputs: Record<InputName<K>, TensorMeta>, attrs: AttrsOf<K>): Inferred<K>;
}

type Specs = { [K in OpName]: OpSpec<K> };

const f32 = (shape: Shape): TensorMeta => ({ shape, dtype: 'float32' });

function pair(value: number | [number, number], op: string, what: string): [number, number] {
  const [a, b] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0) {
    throw new ShapeError(op, `${what} must be a non-negative integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [a, b];
}

function requireRank(op: string, name: string, shape: Shape, ranks: number[]): void {
  if (!ranks.includes(shape.length)) {
    throw new ShapeError(op, `'${name}' must have rank ${ranks.join(' or ')}`, { [name]: shape });
  }
}

function sameShape(op: string, names: [string, string], a: Shape, b: Shape): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new ShapeError(op, `'${names[0]}' and '${names[1]}' must have the same shape`, { [names[0]]: a, [names[1]]: b });
  }
}

function windowDims(
  op: string,
  x: Shape,
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  extra: Record<string, Shape> = {},
): WindowDims {
  requireRank(op, 'x', x, [4]);
  const [N, C, H, W] = x;
  const [KH, KW] = kernel;
  const [SH, SW] = stride;
  const [PH, PW] = padding;
  if (SH < 1 || SW < 1) throw new ShapeError(op, `stride must be at least 1, got [${SH}, ${SW}]`, { x, ...extra });
  if (KH < 1 || KW < 1) throw new ShapeError(op, `window must be at least 1x1, got [${KH}, ${KW}]`, { x, ...extra });
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  if (OH < 1 || OW < 1) {
    throw new ShapeError(op, `a ${KH}x${KW} window with padding [${PH}, ${PW}] does not fit the ${H}x${W} input`, { x, ...extra });
  }
  return { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

/** Every input of an optimizer update must have the shape of 'param'. */
function sameShapeAsParam(op: string, inputs: Record<string, TensorMeta>): void {
  const { param } = inputs;
  for (const [name, meta] of Object.entries(inputs)) {
    if (name !== 'param') sameShape(op, ['param', name], param.shape, meta.shape);
  }
}

/** Optimizer hyperparameters: finite and within [low, high] (high exclusive when `open`). */
function requireInRange(op: string, name: string, value: number, low: number, high = Infinity, open = false): void {
  const inside = typeof value === 'number' && Number.isFinite(value) && value >= low && (open ? value < high : value <= high);
  if (!inside) {
    const range = high === Infinity ? `at least ${low}` : `in [${low}, ${high}${open ? ')' : ']'}`;
    throw new ShapeError(op, `${name} must be a finite number ${range}, got ${value}`);
  }
}

function viewNCS(shape: Shape): { N: number; C: number; S: number } {
  return { N: shape[0], C: shape[1] ?? 1, S: sizeOf(shape.slice(2)) };
}

function unary<K extends 'relu' | 'reluMask'>(): OpSpec<K> {
  return {
    inputs: ['x'] as InputName<K>[],
    outputs: ['out'] as OutputName<K>[],
    inputTypes: { x: 'float32' } as Record<InputName<K>, DType>,
    infer: (({ x }: { x: TensorMeta }) => ({ outputs: { out: f32(x.shape) }, dims: { size: sizeOf(x.shape) } })) as never,
  };
}

export const opSpecs: Specs = {
  matmul: {
    inputs: ['a', 'b'],
    outputs: ['out'],
    inputTypes: { a: 'float32', b: 'float32' },
    infer({ a, b }, { transposeA, transposeB }) {
      const op = 'matmul';
      requireRank(op, 'a', a.shape, [2, 3]);
      requireRank(op, 'b', b.shape, [2, 3]);
      const shapes = { a: a.shape, b: b.shape };
      const [ra, ca] = a.shape.slice(-2);
      const [rb, cb] = b.shape.slice(-2);
      const [M, Ka] = transposeA ? [ca, ra] : [ra, ca];
      const [Kb, N] = transposeB ? [cb, rb] : [rb, cb];
      if (Ka !== Kb) {
        throw new ShapeError(op, `inner dimensions differ: ${Ka} (a${transposeA ? 'ᵀ' : ''}) vs ${Kb} (b${transposeB ? 'ᵀ' : ''})`, shapes);
      }
      const batchA = a.shape.length === 3 ? a.shape[0] : 1;
      const batchB = b.shape.length === 3 ? b.shape[0] : 1;
      if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
        throw new ShapeError(op, `batch sizes differ: ${batchA} vs ${batchB}`, shapes);
      }
      const batch = Math.max(batchA, batchB);
      const rank3 = a.shape.length === 3 || b.shape.length === 3;
      return {
        outputs: { out: f32(rank3 ? [batch, M, N] : [M, N]) },
        dims: {
          batch,
          M,
          N,
          K: Ka,
          transposeA,
          transposeB,
          strideA: batchA === 1 ? 0 : M * Ka,
          strideB: batchB === 1 ? 0 : Ka * N,
        },
      };
    },
  },
  biasAdd: {
    inputs: ['x', 'bias'],
    outputs: ['out'],
    inputTypes: { x: 'float32', bias: 'float32' },
    infer({ x, bias }) {
      requireRank('biasAdd', 'x', x.shape, [2, 3, 4, 5]);
      const C = x.shape[1];
      if (bias.shape.length !== 1 || bias.shape[0] !== C) {
        throw new ShapeError('biasAdd', `'bias' must have shape [${C}] to match dimension 1 of 'x'`, { x: x.shape, bias: bias.shape });
      }
      return { outputs: { out: f32(x.shape) }, dims: { outer: x.shape[0], C, inner: sizeOf(x.shape.slice(2)) } };
    },
  },
  channelAffine: {
    inputs: ['x', 'scale', 'shift'],
    outputs: ['out'],
    inputTypes: { x: 'float32', scale: 'float32', shift: 'float32' },
    infer({ x, scale, shift }) {
      requireRank('channelAffine', 'x', x.shape, [2, 3, 4, 5]);
      const C = x.shape[1];
      for (const [name, meta] of [
        ['scale', scale],
        ['shift', shift],
      ] as const) {
        if (meta.shape.length !== 1 || meta.shape[0] !== C) {
          throw new ShapeError('channelAffine', `'${name}' must have shape [${C}] to match dimension 1 of 'x'`, {
            x: x.shape,
            [name]: meta.shape,
          });
        }
      }
      return { outputs: { out: f32(x.shape) }, dims: { outer: x.shape[0], C, inner: sizeOf(x.shape.slice(2)) } };
    },
  },
  relu: unary<'relu'>(),
  reluMask: unary<'reluMask'>(),
  binary: {
    inputs: ['a', 'b'],
    outputs: ['out'],
    inputTypes: { a: 'float32', b: 'float32' },
    infer({ a, b }, { op }) {
      if (!binaryOps.includes(op)) throw new ShapeError('binary', `unknown operator '${op}', expected one of ${binaryOps.join(', ')}`);
      sameShape(op, ['a', 'b'], a.shape, b.shape);
      return { outputs: { out: f32(a.shape) }, dims: { size: sizeOf(a.shape), op: binaryOps.indexOf(op) } };
    },
  },
  scale: {
    inputs: ['x'],
    outputs: ['out'],
    inputTypes: { x: 'float32' },
    infer({ x }, { alpha, beta }) {
      return { outputs: { out: f32(x.shape) }, dims: { size: sizeOf(x.shape), alpha, beta } };
    },
  },
  conv2d: {
    inputs: ['x', 'w'],
    outputs: ['out'],
    inputTypes: { x: 'float32', w: 'float32' },
    infer({ x, w }, { stride, padding }) {
      const op = 'conv2d';
      requireRank(op, 'w', w.shape, [4]);
      const [O, Cw, KH, KW] = w.shape;
      const dims = windowDims(op, x.shape, [KH, KW], pair(stride, op, 'stride'), pair(padding, op, 'padding'), { w: w.shape });
      if (Cw !== dims.C) {
        throw new ShapeError(op, `filter has ${Cw} input channels but x has ${dims.C}`, { x: x.shape, w: w.shape });
      }
      return { outputs: { out: f32([dims.N, O, dims.OH, dims.OW]) }, dims: { ...dims, O } };
    },
  },
  pool2d: {
    inputs: ['x'],
    outputs: ['out'],
    inputTypes: { x: 'float32' },
    infer({ x }, { mode, size, stride, padding }) {
      const op = `${mode}Pool2d`;
      if (!poolModes.includes(mode)) throw new ShapeError('pool2d', `unknown mode '${mode}', expected max or avg`);
      const kernel = pair(size, op, 'size');
      const pad = pair(padding, op, 'padding');
      if (pad[0] * 2 > kernel[0] || pad[1] * 2 > kernel[1]) {
        throw new ShapeError(op, `padding [${pad}] must be at most half the window [${kernel}]`, { x: x.shape });
      }
      const dims = windowDims(op, x.shape, kernel, pair(stride, op, 'stride'), pad);
      return { outputs: { out: f32([dims.N, dims.C, dims.OH, dims.OW]) }, dims: { ...dims, mode: poolModes.indexOf(mode) } };
    },
  },
  conv2dBackwardInput: {
    inputs: ['dy', 'w'],
    outputs: ['dx'],
    inputTypes: { dy: 'float32', w: 'float32' },
    infer({ dy, w }, { stride, padding, inputSize }) {
      const op = 'conv2dBackwardInput';
      requireRank(op, 'dy', dy.shape, [4]);
      requireRank(op, 'w', w.shape, [4]);
      const [N, O, OH, OW] = dy.shape;
      const [Ow, C, KH, KW] = w.shape;
      const [H, W] = pair(inputSize, op, 'inputSize');
      const dims = windowDims(op, [N, C, H, W], [KH, KW], pair(stride, op, 'stride'), pair(padding, op, 'padding'), { w: w.shape });
      if (Ow !== O || dims.OH !== OH || dims.OW !== OW) {
        throw new ShapeError(op, `'dy' must be [${N}, ${Ow}, ${dims.OH}, ${dims.OW}], the output of a conv2d of an ${H}x${W} input`, {
          dy: dy.shape,
          w: w.shape,
        });
      }
      return { outputs: { dx: f32([N, C, H, W]) }, dims: { ...dims, O } };
    },
  },
  conv2dBackwardFilter: {
    inputs: ['x', 'dy'],
    outputs: ['dw'],
    inputTypes: { x: 'float32', dy: 'float32' },
    infer({ x, dy }, { stride, padding, kernelSize }) {
      const op = 'conv2dBackwardFilter';
      requireRank(op, 'dy', dy.shape, [4]);
      const [KH, KW] = pair(kernelSize, op, 'kernelSize');
      const dims = windowDims(op, x.shape, [KH, KW], pair(stride, op, 'stride'), pair(padding, op, 'padding'), { dy: dy.shape });
      const [Nd, O, OH, OW] = dy.shape;
      if (Nd !== dims.N || OH !== dims.OH || OW !== dims.OW) {
        throw new ShapeError(op, `'dy' must be [${dims.N}, O, ${dims.OH}, ${dims.OW}], the output of the conv2d of 'x'`, {
          x: x.shape,
          dy: dy.shape,
        });
      }
      return { outputs: { dw: f32([O, dims.C, KH, KW]) }, dims: { ...dims, O } };
    },
  },
  pool2dBackward: {
    inputs: ['x', 'dy'],
    outputs: ['dx'],
    inputTypes: { x: 'float32', dy: 'float32' },
    infer({ x, dy }, attrs) {
      const forward = opSpecs.pool2d.infer({ x }, attrs);
      const expected = forward.outputs.out.shape;
      if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
        throw new ShapeError(`${attrs.mode}Pool2dBackward`, `'dy' must have the pooled shape [${expected.join(', ')}]`, {
          x: x.shape,
          dy: dy.shape,
        });
      }
      return { outputs: { dx: f32(x.shape) }, dims: forward.dims };
    },
  },
  moments: {
    inputs: ['x'],
    outputs: ['mean', 'variance'],
    inputTypes: { x: 'float32' },
    infer({ x }) {
      requireRank('moments', 'x', x.shape, [2, 3, 4, 5]);
      const dims = viewNCS(x.shape);
      return { outputs: { mean: f32([dims.C]), variance: f32([dims.C]) }, dims };
    },
  },
  batchNormApply: {
    inputs: ['x', 'mean', 'variance', 'gamma', 'beta'],
    outputs: ['out'],
    inputTypes: { x: 'float32', mean: 'float32', variance: 'float32', gamma: 'float32', beta: 'float32' },
    infer(inputs, { eps }) {
      const { x } = inputs;
      requireRank('batchNorm', 'x', x.shape, [2, 3, 4, 5]);
      const dims = viewNCS(x.shape);
      for (const name of ['mean', 'variance', 'gamma', 'beta'] as const) {
        const s = inputs[name].shape;
        if (s.length !== 1 || s[0] !== dims.C) {
          throw new ShapeError('batchNorm', `'${name}' must have shape [${dims.C}] (the channels of 'x')`, { x: x.shape, [name]: s });
        }
      }
      if (!(eps > 0)) throw new ShapeError('batchNorm', `eps must be positive, got ${eps}`);
      return { outputs: { out: f32(x.shape) }, dims: { ...dims, eps } };
    },
  },
  softmaxCrossEntropy: {
    inputs: ['logits', 'labels'],
    outputs: ['losses', 'grad'],
    inputTypes: { logits: 'float32', labels: 'int32' },
    infer({ logits, labels }) {
      const op = 'softmaxCrossEntropy';
      requireRank(op, 'logits', logits.shape, [2]);
      const [N, C] = logits.shape;
      if (labels.shape.length !== 1 || labels.shape[0] !== N) {
        throw new ShapeError(op, `'labels' must have shape [${N}], one class index per row of 'logits'`, {
          logits: logits.shape,
          labels: labels.shape,
        });
      }
      return { outputs: { losses: f32([N]), grad: f32([N, C]) }, dims: { N, C } };
    },
  },
  reduce: {
    inputs: ['x'],
    outputs: ['out'],
    inputTypes: { x: 'float32' },
    infer({ x }, { op, outer, R, inner }) {
      if (!reduceOps.includes(op)) throw new ShapeError('reduce', `unknown operator '${op}', expected one of ${reduceOps.join(', ')}`);
      if (outer * R * inner !== sizeOf(x.shape) || R < 1) {
        throw new ShapeError('reduce', `view [${outer}, ${R}, ${inner}] does not cover ${sizeOf(x.shape)} elements`, { x: x.shape });
      }
      return { outputs: { out: f32([outer, inner]) }, dims: { outer, R, inner, op: reduceOps.indexOf(op) } };
    },
  },
  nodeStatistic: {
    inputs: ['x'],
    outputs: ['stat'],
    inputTypes: { x: 'float32' },
    infer({ x }, { statistic, threshold }) {
      const op = 'activeCounts';
      if (!nodeStatistics.includes(statistic)) {
        throw new ShapeError(op, `unknown statistic '${statistic}', expected one of ${nodeStatistics.join(', ')}`);
      }
      requireRank(op, 'x', x.shape, [2, 3, 4, 5]);
      const dims = viewNCS(x.shape);
      return { outputs: { stat: f32([dims.C]) }, dims: { ...dims, mode: nodeStatistics.indexOf(statistic), threshold } };
    },
  },
  countAbove: {
    inputs: ['x'],
    outputs: ['count'],
    inputTypes: { x: 'float32' },
    infer({ x }, { threshold }) {
      return { outputs: { count: { shape: [1], dtype: 'int32' } }, dims: { size: sizeOf(x.shape), threshold } };
    },
  },
  sgdUpdate: {
    inputs: ['param', 'grad', 'velocity', 'mask'],
    outputs: ['newParam', 'newVelocity'],
    inputTypes: { param: 'float32', grad: 'float32', velocity: 'float32', mask: 'float32' },
    infer(inputs, { lr, momentum, weightDecay, dampening, nesterov, firstStep }) {
      const op = 'sgdUpdate';
      sameShapeAsParam(op, inputs);
      requireInRange(op, 'lr', lr, 0);
      requireInRange(op, 'momentum', momentum, 0);
      requireInRange(op, 'weightDecay', weightDecay, 0);
      requireInRange(op, 'dampening', dampening, 0, 1);
      if (nesterov && (momentum <= 0 || dampening !== 0)) {
        throw new ShapeError(
          op,
          `nesterov momentum requires momentum > 0 and dampening 0, got momentum ${momentum}, dampening ${dampening}`,
        );
      }
      const shape = inputs.param.shape;
      return {
        outputs: { newParam: f32(shape), newVelocity: f32(shape) },
        dims: {
          size: sizeOf(shape),
          lr,
          momentum,
          oneMinusDampening: 1 - dampening,
          weightDecay,
          nesterov: !!nesterov,
          firstStep: !!firstStep,
        },
      };
    },
  },
  adamUpdate: {
    inputs: ['param', 'grad', 'm', 'v', 'mask'],
    outputs: ['newParam', 'newM', 'newV'],
    inputTypes: { param: 'float32', grad: 'float32', m: 'float32', v: 'float32', mask: 'float32' },
    infer(inputs, { lr, beta1, beta2, eps, weightDecay, decoupled, step }) {
      const op = decoupled ? 'adamW' : 'adam';
      sameShapeAsParam(op, inputs);
      requireInRange(op, 'lr', lr, 0);
      requireInRange(op, 'beta1', beta1, 0, 1, true);
      requireInRange(op, 'beta2', beta2, 0, 1, true);
      requireInRange(op, 'eps', eps, 0);
      requireInRange(op, 'weightDecay', weightDecay, 0);
      if (!Number.isInteger(step) || step < 1) throw new ShapeError(op, `step must be an integer >= 1 (steps count from 1), got ${step}`);
      const shape = inputs.param.shape;
      return {
        outputs: { newParam: f32(shape), newM: f32(shape), newV: f32(shape) },
        dims: {
          size: sizeOf(shape),
          beta1,
          beta2,
          oneMinusBeta1: 1 - beta1,
          oneMinusBeta2: 1 - beta2,
          eps,
          gradDecay: decoupled ? 0 : weightDecay,
          paramScale: decoupled ? 1 - lr * weightDecay : 1,
          stepSize: lr / (1 - beta1 ** step),
          biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** step),
        },
      };
    },
  },
  meanSquaredError: {
    inputs: ['pred', 'target'],
    outputs: ['losses', 'grad'],
    inputTypes: { pred: 'float32', target: 'float32' },
    infer({ pred, target }) {
      const op = 'meanSquaredError';
      if (pred.shape.length === 0) {
        throw new ShapeError(op, `'pred' must have a batch dimension first (rank at least 1)`, { pred: pred.shape, target: target.shape });
      }
      sameShape(op, ['pred', 'target'], pred.shape, target.shape);
      const N = pred.shape[0];
      const F = sizeOf(pred.shape.slice(1));
      return { outputs: { losses: f32([N]), grad: f32(pred.shape) }, dims: { N, F, gradScale: 2 / (N * F) } };
    },
  },
};
