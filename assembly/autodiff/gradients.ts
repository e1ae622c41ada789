// The reverse pass: one gradient rule per primitive, each emitting primitive nodes (forward kernels reused).
import {
  addConstant, addNode, addView, nodeInputs, nodeAttrs, nodeLabel, nodeOp, nodeOutputs, output, setCurrentLabel,
  shapeOf, sizeOfValue, storageOf, valueCount, valueProducer, currentLabel, addingBackward,
} from './graph';
import {
  BINARY_ADD, BINARY_MUL, BINARY_SUB, BatchNormApply, Binary, Conv2d, GRADIENT_KINDS, Matmul, OP_BATCH_NORM_APPLY,
  OP_BIAS_ADD, OP_BINARY, OP_CHANNEL_AFFINE, OP_CONV2D, OP_CONV2D_BACKWARD_FILTER, OP_CONV2D_BACKWARD_INPUT, OP_MATMUL,
  OP_MOMENTS, OP_POOL2D, OP_POOL2D_BACKWARD, OP_REDUCE, OP_RELU, OP_RELU_MASK, OP_SCALE, OP_VIEW, REDUCE_MAX, REDUCE_MEAN,
  REDUCE_SUM, Reduce, Scale,
} from './ops.generated';
import {
  FAIL_BATCH_NORM_STATISTICS, FAIL_MAX_REDUCE, FAIL_MOMENTS, FAIL_NOT_DIFFERENTIABLE, FAIL_SEED_OP, FAIL_SEED_SHAPE,
  hostFail,
} from './host';

const KIND_NONE: i32 = 0;
const KIND_RULE: i32 = 1;
const KIND_PAIRED: i32 = 2;
const KIND_SEED: i32 = 3;
const KIND_ZERO: i32 = 4;

/** Per value: whether it depends on a value a gradient was asked for (only those get gradients). */
let needs = new Array<bool>();
/** Per value: its gradient value so far, or -1. */
let grads = new Array<i32>();

// ---- Builders over the primitives -------------------------------------------------------------------------------

function one(op: i32, inputs: Array<i32>, attrs: Array<f64>): i32 {
  return output(addNode(op, inputs, attrs), 0);
}

function flag(value: bool): f64 {
  return value ? 1.0 : 0.0;
}

function matmul(a: i32, b: i32, transposeA: bool, transposeB: bool): i32 {
  return one(OP_MATMUL, [a, b], [flag(transposeA), flag(transposeB)]);
}

function binary(op: f64, a: i32, b: i32): i32 {
  return one(OP_BINARY, [a, b], [op]);
}

function scale(x: i32, alpha: f64): i32 {
  return one(OP_SCALE, [x], [alpha, 0.0]);
}

function reduceSum(x: i32, outer: i32, r: i32, inner: i32): i32 {
  return one(OP_REDUCE, [x], [REDUCE_SUM, <f64>outer, <f64>r, <f64>inner]);
}

function channelAffine(x: i32, scaleBy: i32, shift: i32): i32 {
  return one(OP_CHANNEL_AFFINE, [x, scaleBy, shift], []);
}

function vector(length: i32): Array<i32> {
  return [length];
}

/** The sum of v [N, C, ...] over every axis but the channel axis: shape [C]. */
function sumToChannels(v: i32): i32 {
  const shape = shapeOf(v);
  const n = shape[0];
  const c = shape[1];
  const s = <i32>(sizeOfValue(v) / (<i64>n * <i64>c));
  let summed = reduceSum(v, 1, n, c * s);
  if (s > 1) summed = reduceSum(summed, c, s, 1);
  return addView(summed, vector(c));
}

/** g was computed with a batch dimension that `target` broadcast over (matmul of a 2-D operand): sum it away. */
function unbroadcast(g: i32, target: i32): i32 {
  const gShape = shapeOf(g);
  const tShape = shapeOf(target);
  if (gShape.length == tShape.length) return g;
  const batch = gShape[0];
  const size = <i32>sizeOfValue(target);
  return addView(reduceSum(g, 1, batch, size), tShape.slice(0));
}

function accumulate(value: i32, gradient: i32): void {
  const previous = grads[value];
  grads[value] = previous < 0 ? gradient : binary(BINARY_ADD, previous, gradient);
}

// ---- The rules ----------------------------------------------------------------------------------------------------

function matmulRule(node: i32, dy: i32): void {
  const a = nodeInputs[node][Matmul.IN_A];
  const b = nodeInputs[node][Matmul.IN_B];
  const transposeA = nodeAttrs[node][Matmul.ATTR_TRANSPOSE_A] != 0;
  const transposeB = nodeAttrs[node][Matmul.ATTR_TRANSPOSE_B] != 0;
  if (needs[a]) {
    // out = op(A) op(B): d op(A) = dY op(B)ᵀ, so dA = dY op(B)ᵀ, or its transpose op(B) dYᵀ when A enters transposed.
    const da = transposeA ? matmul(b, dy, transposeB, true) : matmul(dy, b, false, !transposeB);
    accumulate(a, unbroadcast(da, a));
  }
  if (needs[b]) {
    const db = transposeB ? matmul(dy, a, true, transposeA) : matmul(a, dy, !transposeA, false);
    accumulate(b, unbroadcast(db, b));
  }
}

function biasAddRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  const bias = nodeInputs[node][1];
  if (needs[x]) accumulate(x, dy);
  if (needs[bias]) accumulate(bias, sumToChannels(dy));
}

function channelAffineRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  const scaleBy = nodeInputs[node][1];
  const shift = nodeInputs[node][2];
  const channels = shapeOf(x)[1];
  if (needs[x]) accumulate(x, channelAffine(dy, scaleBy, addConstant(vector(channels), 0)));
  if (needs[scaleBy]) accumulate(scaleBy, sumToChannels(binary(BINARY_MUL, dy, x)));
  if (needs[shift]) accumulate(shift, sumToChannels(dy));
}

function reluRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  if (needs[x]) accumulate(x, binary(BINARY_MUL, dy, one(OP_RELU_MASK, [x], [])));
}

function binaryRule(node: i32, dy: i32): void {
  const a = nodeInputs[node][Binary.IN_A];
  const b = nodeInputs[node][Binary.IN_B];
  const op = nodeAttrs[node][Binary.ATTR_OP];
  if (op == BINARY_MUL) {
    if (needs[a]) accumulate(a, binary(BINARY_MUL, dy, b));
    if (needs[b]) accumulate(b, binary(BINARY_MUL, dy, a));
    return;
  }
  if (needs[a]) accumulate(a, dy);
  if (needs[b]) accumulate(b, op == BINARY_SUB ? scale(dy, -1.0) : dy);
}

function scaleRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  if (needs[x]) accumulate(x, scale(dy, nodeAttrs[node][Scale.ATTR_ALPHA]));
}

function conv2dRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][Conv2d.IN_X];
  const w = nodeInputs[node][Conv2d.IN_W];
  const attrs = nodeAttrs[node];
  const xShape = shapeOf(x);
  const wShape = shapeOf(w);
  const s0 = attrs[Conv2d.ATTR_STRIDE0];
  const s1 = attrs[Conv2d.ATTR_STRIDE1];
  const p0 = attrs[Conv2d.ATTR_PADDING0];
  const p1 = attrs[Conv2d.ATTR_PADDING1];
  if (needs[x]) {
    accumulate(x, one(OP_CONV2D_BACKWARD_INPUT, [dy, w], [s0, s1, p0, p1, <f64>xShape[2], <f64>xShape[3]]));
  }
  if (needs[w]) {
    accumulate(w, one(OP_CONV2D_BACKWARD_FILTER, [x, dy], [s0, s1, p0, p1, <f64>wShape[2], <f64>wShape[3]]));
  }
}

function pool2dRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  // pool2dBackward takes pool2d's attributes unchanged (mode, size, stride, padding).
  if (needs[x]) accumulate(x, one(OP_POOL2D_BACKWARD, [x, dy], nodeAttrs[node].slice(0)));
}

/**
 * y = gamma (x - mean) / sqrt(var + eps) + beta. With mean and variance from moments(x) (train mode) the gradient
 * also flows through the statistics: dx = gamma/sqrt(var+eps) (dy - dbeta/M - xhat dgamma/M) per channel, with
 * dbeta = Σ dy and dgamma = Σ dy xhat over the M = N·H·W values of a channel. With fixed statistics (eval mode) it is
 * dx = gamma/sqrt(var+eps) dy.
 */
function batchNormApplyRule(node: i32, dy: i32): void {
  const inputs = nodeInputs[node];
  const x = inputs[BatchNormApply.IN_X];
  const mean = inputs[BatchNormApply.IN_MEAN];
  const variance = inputs[BatchNormApply.IN_VARIANCE];
  const gamma = inputs[BatchNormApply.IN_GAMMA];
  const beta = inputs[BatchNormApply.IN_BETA];
  const eps = nodeAttrs[node][BatchNormApply.ATTR_EPS];
  const throughStatistics = needs[mean] || needs[variance];
  if (throughStatistics) {
    const producer = valueProducer[mean];
    if (producer < 0 || nodeOp[producer] != OP_MOMENTS || valueProducer[variance] != producer ||
        storageOf(nodeInputs[producer][0]) != storageOf(x) || sizeOfValue(nodeInputs[producer][0]) != sizeOfValue(x)) {
      hostFail(FAIL_BATCH_NORM_STATISTICS, node, -1);
    }
  }
  const channels = shapeOf(x)[1];
  const m = <f64>sizeOfValue(x) / <f64>channels;
  const ones = addConstant(vector(channels), 1);
  const zeros = addConstant(vector(channels), 0);
  const xhat = one(OP_BATCH_NORM_APPLY, [x, mean, variance, ones, zeros], [eps]);
  const dBeta = sumToChannels(dy);
  const dGamma = sumToChannels(binary(BINARY_MUL, dy, xhat));
  if (needs[gamma]) accumulate(gamma, dGamma);
  if (needs[beta]) accumulate(beta, dBeta);
  if (!needs[x]) return;
  // gamma / sqrt(var + eps): batch norm of a [1, C] row of ones with mean 0.
  const onesRow = addConstant([1, channels], 1);
  const gammaInvStd = addView(one(OP_BATCH_NORM_APPLY, [onesRow, zeros, variance, gamma, zeros], [eps]), vector(channels));
  let upstream = dy;
  if (throughStatistics) {
    const correction = channelAffine(xhat, scale(dGamma, -1.0 / m), scale(dBeta, -1.0 / m));
    upstream = binary(BINARY_ADD, dy, correction);
  }
  accumulate(x, channelAffine(upstream, gammaInvStd, zeros));
}

/** x viewed [outer, R, inner] → [outer, inner]: dx[o, r, i] = dy[o, i] (/R for mean), as ones[R, 1] @ dy[o, 1, i]. */
function reduceRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  if (!needs[x]) return;
  const attrs = nodeAttrs[node];
  const op = attrs[Reduce.ATTR_OP];
  if (op == REDUCE_MAX) hostFail(FAIL_MAX_REDUCE, node, -1);
  const outer = <i32>attrs[Reduce.ATTR_OUTER];
  const r = <i32>attrs[Reduce.ATTR_R];
  const inner = <i32>attrs[Reduce.ATTR_INNER];
  const ones = addConstant([r, 1], op == REDUCE_MEAN ? 1.0 / <f64>r : 1.0);
  const spread = matmul(ones, addView(dy, [outer, 1, inner]), false, false);
  accumulate(x, addView(spread, shapeOf(x).slice(0)));
}

function viewRule(node: i32, dy: i32): void {
  const x = nodeInputs[node][0];
  if (needs[x]) accumulate(x, addView(dy, shapeOf(x).slice(0)));
}

/** The gradient table: one rule per differentiable primitive. Returns false for ops without a rule. */
function applyRule(op: i32, node: i32, dy: i32): bool {
  switch (op) {
    case OP_MATMUL: matmulRule(node, dy); return true;
    case OP_BIAS_ADD: biasAddRule(node, dy); return true;
    case OP_CHANNEL_AFFINE: channelAffineRule(node, dy); return true;
    case OP_RELU: reluRule(node, dy); return true;
    case OP_BINARY: binaryRule(node, dy); return true;
    case OP_SCALE: scaleRule(node, dy); return true;
    case OP_CONV2D: conv2dRule(node, dy); return true;
    case OP_POOL2D: pool2dRule(node, dy); return true;
    case OP_BATCH_NORM_APPLY: batchNormApplyRule(node, dy); return true;
    case OP_REDUCE: reduceRule(node, dy); return true;
    case OP_VIEW: viewRule(node, dy); return true;
    default: return false;
  }
}

/** Whether the table has a rule for `op` (tests check this against src/autodiff/differentiable.ts). */
export function hasRule(op: i32): bool {
  switch (op) {
    case OP_MATMUL: case OP_BIAS_ADD: case OP_CHANNEL_AFFINE: case OP_RELU: case OP_BINARY: case OP_SCALE:
    case OP_CONV2D: case OP_POOL2D: case OP_BATCH_NORM_APPLY: case OP_REDUCE: case OP_VIEW:
      return true;
    default:
      return false;
  }
}

// ---- The pass -----------------------------------------------------------------------------------------------------

const seedValues = new Array<i32>();
const seedGradients = new Array<i32>();
const wrtValues = new Array<i32>();

export function addSeed(value: i32, gradient: i32): void {
  seedValues.push(value);
  seedGradients.push(gradient);
}

export function addWrt(value: i32): void {
  wrtValues.push(value);
}

function propagatesNeed(op: i32): bool {
  const kind = GRADIENT_KINDS[op];
  return kind == KIND_RULE || kind == KIND_PAIRED || kind == KIND_SEED || kind == KIND_NONE;
}

/** Appends the reverse pass for the staged seeds and wrt values; gradientOf(v) gives the results. */
export function runBackward(): void {
  const nodeCount = nodeOp.length;
  const values = valueCount();
  needs = new Array<bool>(values);
  grads = new Array<i32>(values);
  for (let v = 0; v < values; v++) grads[v] = -1;
  for (let i = 0; i < wrtValues.length; i++) needs[wrtValues[i]] = true;
  for (let node = 0; node < nodeCount; node++) {
    if (!propagatesNeed(nodeOp[node])) continue;
    const inputs = nodeInputs[node];
    let any: bool = false;
    for (let i = 0; i < inputs.length; i++) if (needs[inputs[i]]) any = true;
    if (!any) continue;
    const outputs = nodeOutputs[node];
    for (let i = 0; i < outputs.length; i++) needs[outputs[i]] = true;
  }
  const savedLabel = currentLabel;
  const savedBackward = addingBackward;
  for (let i = 0; i < seedValues.length; i++) {
    const value = seedValues[i];
    const gradient = seedGradients[i];
    if (sizeOfValue(value) != sizeOfValue(gradient) || shapeOf(value).length != shapeOf(gradient).length) {
      hostFail(FAIL_SEED_SHAPE, -1, value);
    }
    if (needs[value]) accumulate(value, gradient);
  }
  for (let node = nodeCount - 1; node >= 0; node--) {
    const outputs = nodeOutputs[node];
    let dy = -1;
    let reached = false;
    for (let i = 0; i < outputs.length; i++) {
      if (grads[outputs[i]] >= 0) {
        reached = true;
        if (i == 0) dy = grads[outputs[i]];
      }
    }
    if (!reached) continue;
    const op = nodeOp[node];
    const kind = op == OP_VIEW ? KIND_RULE : GRADIENT_KINDS[op];
    if (kind == KIND_ZERO) continue;
    if (kind == KIND_SEED) hostFail(FAIL_SEED_OP, node, -1);
    if (kind == KIND_PAIRED) hostFail(FAIL_MOMENTS, node, -1);
    if (kind == KIND_NONE) hostFail(FAIL_NOT_DIFFERENTIABLE, node, -1);
    // Every differentiable op with a rule has exactly one output.
    setCurrentLabel(nodeLabel[node], 1);
    if (!applyRule(op, node, dy)) hostFail(FAIL_NOT_DIFFERENTIABLE, node, -1);
  }
  setCurrentLabel(savedLabel, savedBackward);
  seedValues.length = 0;
  seedGradients.length = 0;
  wrtValues.length = 0;
}

/** The gradient the last runBackward found for `value`, or -1 when the seeds do not reach it. */
export function gradientOf(value: i32): i32 {
  return value < grads.length ? grads[value] : -1;
}
