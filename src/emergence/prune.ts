// Pruning a compiled net through its masks (EMERGENCE.md section 6): magnitude pruning of weights, node pruning, parameter counts.
import { EngineError } from '../errors.js';
import type { Net, NetParameter } from '../nn/net.js';

/** 'global': one magnitude threshold over every chosen tensor; 'layer': the fraction of each tensor on its own. */
export type PruneScope = 'global' | 'layer';

/**
 * What `fraction` is a fraction of. 'all' (default): of every chosen weight, masked or not, so that pruning 30% and then
 * 50% leaves 50% pruned in all (already-pruned weights count towards the target and stay pruned; a smaller target than
 * what is already pruned prunes nothing). 'remaining': of the weights still unmasked, as PyTorch's
 * `prune.l1_unstructured` applied twice does, so 30% then 50% leaves 65% pruned.
 */
export type PruneBase = 'all' | 'remaining';

export interface PruneOptions {
  /** In [0, 1]. Counts are `fraction * size` rounded half to even, as Python's round() in PyTorch's pruning does. */
  fraction: number;
  /** Default 'global'. */
  scope?: PruneScope;
  /** Default 'all'. */
  of?: PruneBase;
  /**
   * The tensors to prune: layer indices (their weight, and their bias with includeBiases) or parameter names ('0.weight',
   * or a batch-norm '1.weight' when asked for by name). Default: every linear and conv weight.
   */
  layers?: readonly (number | string)[];
  /** Also prune the biases of the chosen linear and conv layers (default false). */
  includeBiases?: boolean;
}

export interface PrunedTensor {
  /** The parameter's state_dict name, e.g. '0.weight'. */
  name: string;
  /** Index of the layer that owns it. */
  layer: number;
  /** Its number of entries. */
  total: number;
  /** Entries masked after this call (pruned earlier or now). */
  pruned: number;
  /** Entries this call masked. */
  newlyPruned: number;
  /** pruned / total. */
  fraction: number;
  /**
   * The magnitude threshold of this call: every newly pruned weight has |w| <= threshold and every weight left has
   * |w| >= threshold (ties at the threshold are pruned in state_dict order, then index order). With scope 'global'
   * it is the one global threshold; null when this call pruned nothing here (per layer) or anywhere (global).
   */
  threshold: number | null;
}

export interface PruneReport {
  scope: PruneScope;
  of: PruneBase;
  fraction: number;
  /** Entries of the chosen tensors. */
  total: number;
  /** Entries masked after this call. */
  pruned: number;
  newlyPruned: number;
  tensors: PrunedTensor[];
}

export type NodeRanking = 'weight-norm' | 'activation';

export interface NodePruneOptions {
  /** The layer whose nodes (units of a linear layer, output channels of a conv layer) go: its index, '3' or '3.weight'. */
  layer: number | string;
  /** Which nodes to prune, by index; or give `fraction`. */
  nodes?: readonly number[];
  /** The share of the layer's nodes to prune, rounded half to even; the nodes ranked lowest by `by` go first. */
  fraction?: number;
  /**
   * How `fraction` ranks nodes: 'weight-norm' (default), the L2 norm of the node's incoming weights (PyTorch's
   * ln_structured with n=2 over dim 0); 'activation', the node's mean activation over the probe batch `x` in eval mode,
   * taken after the layers that follow it up to the next weight layer or flatten (batch norm, ReLU, pooling). Ties go
   * by node index.
   */
  by?: NodeRanking;
  /** As for prune: 'all' (default) counts nodes already dead towards the fraction; 'remaining' takes it of the live ones. */
  of?: PruneBase;
  /** The probe batch for by: 'activation' (any number of whole samples of the net's input shape). */
  x?: Float32Array;
}

export interface NodePruneReport {
  layer: number;
  /** The layer's weight, e.g. '3.weight'. */
  weight: string;
  /** The layer's width: all its nodes, dead or alive. */
  nodes: number;
  /** Nodes this call pruned, ascending. */
  pruned: number[];
  /** Every dead node of the layer after this call, ascending. */
  dead: number[];
  /** The effective n_i for emergence: nodes - dead.length. */
  remaining: number;
  /** The parameters whose masks this call changed. */
  masked: string[];
  /** Each node's ranking score when `fraction` chose them (index = node), else null. */
  scores: Float64Array | null;
}

export interface LayerNodeCount {
  layer: number;
  weight: string;
  /** The layer's width. */
  nodes: number;
  /** Nodes not dead (see pruneNodes): the effective n_i. */
  live: number;
}

export interface ParameterCount {
  name: string;
  layer: number;
  total: number;
  /** Entries whose mask is not 0. */
  unmasked: number;
  /** Entries whose value is not 0 (masked entries are 0, so nonzero <= unmasked). */
  nonzero: number;
}

/** Counts over the trainable parameters (PyTorch's model.parameters(); running statistics are buffers and not counted). */
export interface ParameterCounts {
  total: number;
  unmasked: number;
  nonzero: number;
  tensors: ParameterCount[];
}

/**
 * Magnitude pruning: masks the smallest-magnitude entries of the chosen tensors so that exactly the requested count is
 * pruned (see PruneOptions for the rounding and the two meanings of `fraction`). Masks persist: the net multiplies
 * every later update by them, so pruned weights stay exactly zero through training.
 */
export async function prune(net: Net, options: PruneOptions): Promise<PruneReport> {
  const op = 'prune';
  if (typeof options !== 'object' || options === null)
    throw new EngineError(`${op}: options { fraction, scope?, of?, layers? } are required`);
  const fraction = checkFraction(op, options.fraction);
  const scope = options.scope ?? 'global';
  if (scope !== 'global' && scope !== 'layer') throw new EngineError(`${op}: scope must be 'global' or 'layer', got '${String(scope)}'`);
  const of = checkBase(op, options.of);
  const chosen = chooseTensors(net, op, options.layers, options.includeBiases ?? false);
  const tensors = await Promise.all(chosen.map((p) => readTensor(net, p)));
  const before = tensors.map((t) => countZeros(t.mask));

  const thresholds: (number | null)[] = [];
  if (scope === 'global') {
    const total = tensors.reduce((sum, t) => sum + t.mask.length, 0);
    const already = before.reduce((sum, n) => sum + n, 0);
    const threshold = maskSmallest(tensors, newCount(fraction, of, total, already));
    for (let i = 0; i < tensors.length; i++) thresholds.push(threshold);
  } else {
    tensors.forEach((t, i) => thresholds.push(maskSmallest([t], newCount(fraction, of, t.mask.length, before[i]))));
  }

  const reports: PrunedTensor[] = [];
  const writes: Promise<void>[] = [];
  tensors.forEach((t, i) => {
    const pruned = countZeros(t.mask);
    const newlyPruned = pruned - before[i];
    if (newlyPruned > 0) writes.push(net.setMask(t.param.name, t.mask));
    const total = t.mask.length;
    reports.push({
      name: t.param.name,
      layer: t.param.layer,
      total,
      pruned,
      newlyPruned,
      fraction: pruned / total,
      threshold: thresholds[i],
    });
  });
  await Promise.all(writes);
  const sum = (key: 'total' | 'pruned' | 'newlyPruned'): number => reports.reduce((s, r) => s + r[key], 0);
  return { scope, of, fraction, total: sum('total'), pruned: sum('pruned'), newlyPruned: sum('newlyPruned'), tensors: reports };
}

/**
 * Node (structured) pruning: each pruned node of a linear or conv layer gets its incoming weights and bias masked, the
 * batch-norm weight and bias of its channel masked (so the node's output is 0 in train and eval mode), and its outgoing
 * weights in the next weight layer masked (every input a conv channel feeds after flatten). The node is dead and stays
 * dead through training. A node counts as dead when its incoming weights, bias and batch-norm affine parameters are all
 * masked; the report gives the effective width n_i that emergence should count.
 */
export async function pruneNodes(net: Net, options: NodePruneOptions): Promise<NodePruneReport> {
  const op = 'pruneNodes';
  if (typeof options !== 'object' || options === null)
    throw new EngineError(`${op}: options { layer, nodes | fraction, by? } are required`);
  const structure = nodeStructure(net, op, options.layer);
  const width = structure.weight.shape[0];
  const own = await Promise.all(structure.own.map((p) => readTensor(net, p)));
  const deadBefore = deadNodes(structure, own, width);
  const by = options.by ?? 'weight-norm';
  if (by !== 'weight-norm' && by !== 'activation')
    throw new EngineError(`${op}: by must be 'weight-norm' or 'activation', got '${String(by)}'`);

  let chosen: number[];
  let scores: Float64Array | null = null;
  if (options.nodes !== undefined) {
    if (options.fraction !== undefined) throw new EngineError(`${op}: give either nodes or fraction, not both`);
    chosen = checkNodes(op, options.nodes, width, structure.weight.name).filter((c) => !deadBefore.has(c));
  } else if (options.fraction !== undefined) {
    const fraction = checkFraction(op, options.fraction);
    const of = checkBase(op, options.of);
    const count = newCount(fraction, of, width, deadBefore.size);
    scores = by === 'activation' ? await activationScores(net, op, structure, options.x) : weightNormScores(own[0].values, width);
    const live = Array.from({ length: width }, (_, c) => c).filter((c) => !deadBefore.has(c));
    const key = (c: number): number => (Number.isNaN(scores![c]) ? Infinity : scores![c]);
    live.sort((p, q) => key(p) - key(q) || p - q);
    chosen = live.slice(0, count);
  } else {
    throw new EngineError(`${op}: give nodes (indices) or fraction`);
  }
  chosen.sort((p, q) => p - q);

  const masked: string[] = [];
  if (chosen.length > 0) {
    const next = await Promise.all(structure.outgoing ? [readTensor(net, structure.outgoing)] : []);
    for (const t of own) maskNodeSlices(t.mask, t.param.shape[0], chosen);
    for (const t of next) maskNodeInputs(t, width, chosen, op);
    const changed = [...own, ...next];
    await Promise.all(changed.map((t) => net.setMask(t.param.name, t.mask)));
    masked.push(...changed.map((t) => t.param.name));
  }
  const dead = [...new Set([...deadBefore, ...chosen])].sort((p, q) => p - q);
  return {
    layer: structure.layer,
    weight: structure.weight.name,
    nodes: width,
    pruned: chosen,
    dead,
    remaining: width - dead.length,
    masked,
    scores,
  };
}

/** Every linear and conv layer's width and live (not dead, see pruneNodes) node count, in layer order. */
export async function nodeCounts(net: Net): Promise<LayerNodeCount[]> {
  const counts: LayerNodeCount[] = [];
  for (const weight of weightParameters(net.parameters())) {
    const structure = nodeStructure(net, 'nodeCounts', weight.layer);
    const own = await Promise.all(structure.own.map((p) => readTensor(net, p)));
    const width = weight.shape[0];
    counts.push({ layer: weight.layer, weight: weight.name, nodes: width, live: width - deadNodes(structure, own, width).size });
  }
  return counts;
}

/**
 * The dead (node-pruned) nodes of every linear/conv layer, by layer index: what measure leaves out of n_i. `masks` holds
 * every trainable parameter's mask by name (the caller reads them once for this and its parameter counts).
 */
export function deadNodesByLayer(net: Net, masks: ReadonlyMap<string, Float32Array>): Map<number, Set<number>> {
  const dead = new Map<number, Set<number>>();
  for (const weight of weightParameters(net.parameters())) {
    const structure = nodeStructure(net, 'emergence.measure', weight.layer);
    const own = structure.own.map((p) => ({ mask: masks.get(p.name)! }));
    dead.set(weight.layer, deadNodes(structure, own, weight.shape[0]));
  }
  return dead;
}

/** Total, unmasked and nonzero entries of every trainable parameter and of all of them (for relative emergence). */
export async function countParameters(net: Net): Promise<ParameterCounts> {
  const params = net.parameters().filter((p) => p.trainable);
  const tensors = await Promise.all(params.map((p) => readTensor(net, p)));
  const counts = tensors.map(({ param, values, mask }) => ({
    name: param.name,
    layer: param.layer,
    total: values.length,
    unmasked: values.length - countZeros(mask),
    nonzero: values.length - countZeros(values),
  }));
  const sum = (key: 'total' | 'unmasked' | 'nonzero'): number => counts.reduce((s, c) => s + c[key], 0);
  return { total: sum('total'), unmasked: sum('unmasked'), nonzero: sum('nonzero'), tensors: counts };
}

// ---- internals -------------------------------------------------------------------------------------------------------

interface HostTensor {
  param: NetParameter;
  values: Float32Array;
  mask: Float32Array;
}

/** A node layer's weight, the parameters masked with its nodes (own) and the next weight layer's weight (outgoing). */
interface NodeStructure {
  layer: number;
  weight: NetParameter;
  /** The weight first, then the bias and the batch-norm affine parameters of its channels up to the next weight layer. */
  own: NetParameter[];
  outgoing?: NetParameter;
  /** Layer index of the next weight layer, or Infinity. */
  nextLayer: number;
}

function localName(param: NetParameter): string {
  return param.name.slice(param.name.indexOf('.') + 1);
}

/** Linear and conv weights: trainable 'weight' tensors of rank 2 or more (batch norm's weight has rank 1). */
function weightParameters(params: readonly NetParameter[]): NetParameter[] {
  return params.filter((p) => p.trainable && localName(p) === 'weight' && p.shape.length >= 2);
}

function checkFraction(op: string, fraction: unknown): number {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new EngineError(`${op}: fraction must be a number in [0, 1], got ${String(fraction)}`);
  }
  return fraction;
}

function checkBase(op: string, of: unknown): PruneBase {
  if (of === undefined) return 'all';
  if (of !== 'all' && of !== 'remaining') throw new EngineError(`${op}: of must be 'all' or 'remaining', got '${String(of)}'`);
  return of;
}

/** Python's round(): half to even, as torch.nn.utils.prune computes round(amount * size). */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : rounded;
}

/** How many more entries (or nodes) to prune out of `total` of which `already` are pruned. */
function newCount(fraction: number, of: PruneBase, total: number, already: number): number {
  if (of === 'remaining') return roundHalfEven(fraction * (total - already));
  return Math.max(0, roundHalfEven(fraction * total) - already);
}

function describeLayers(params: readonly NetParameter[]): string {
  const weights = weightParameters(params).map((p) => p.layer);
  return `weight layers: ${weights.join(', ') || 'none'}; trainable parameters: ${params
    .filter((p) => p.trainable)
    .map((p) => p.name)
    .join(', ')}`;
}

/** Resolves `layers` (indices or names) to trainable parameters in state_dict order. */
function chooseTensors(net: Net, op: string, layers: readonly (number | string)[] | undefined, includeBiases: boolean): NetParameter[] {
  const params = net.parameters();
  const weights = weightParameters(params);
  const biasOf = (layer: number): NetParameter[] =>
    includeBiases ? params.filter((p) => p.trainable && p.layer === layer && localName(p) === 'bias') : [];
  const chosen = new Set<NetParameter>();
  const addLayer = (layer: number): void => {
    const weight = weights.find((p) => p.layer === layer);
    if (!weight) throw new EngineError(`${op}: layer ${layer} has no linear or conv weight; ${describeLayers(params)}`);
    chosen.add(weight);
    for (const bias of biasOf(layer)) chosen.add(bias);
  };
  if (layers === undefined) {
    for (const weight of weights) addLayer(weight.layer);
  } else {
    if (!Array.isArray(layers) || layers.length === 0)
      throw new EngineError(`${op}: layers must be a non-empty array of layer indices or parameter names`);
    for (const entry of layers) {
      const named = typeof entry === 'string' ? params.find((p) => p.name === entry) : undefined;
      if (named) {
        if (!named.trainable) throw new EngineError(`${op}: '${entry}' is a buffer, not a trainable parameter; ${describeLayers(params)}`);
        chosen.add(named);
      } else if (typeof entry === 'number' || (typeof entry === 'string' && /^\d+$/.test(entry))) {
        addLayer(Number(entry));
      } else {
        throw new EngineError(`${op}: unknown layer '${String(entry)}'; ${describeLayers(params)}`);
      }
    }
  }
  return params.filter((p) => chosen.has(p));
}

async function readTensor(net: Net, param: NetParameter): Promise<HostTensor> {
  const [values, mask] = await Promise.all([net.readParameter(param.name), net.readMask(param.name)]);
  return { param, values, mask };
}

function countZeros(values: Float32Array): number {
  let zeros = 0;
  for (const v of values) if (v === 0) zeros++;
  return zeros;
}

/** |w| for ranking; NaN ranks as the largest magnitude so that it is never pruned before a number. */
function magnitude(value: number): number {
  return Number.isNaN(value) ? Infinity : Math.abs(value);
}

/**
 * Masks the `count` unmasked entries of smallest magnitude across the tensors (ties at the threshold in tensor order,
 * then index order). Returns the threshold, or null when count is 0.
 */
function maskSmallest(tensors: readonly HostTensor[], count: number): number | null {
  if (count <= 0) return null;
  let candidates = 0;
  for (const { mask } of tensors) candidates += mask.length - countZeros(mask);
  const magnitudes = new Float32Array(candidates);
  let k = 0;
  for (const { values, mask } of tensors) for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) magnitudes[k++] = magnitude(values[i]);
  magnitudes.sort();
  const threshold = magnitudes[count - 1];
  let below = 0;
  let high = count - 1;
  while (below < high) {
    const middle = (below + high) >> 1;
    if (magnitudes[middle] < threshold) below = middle + 1;
    else high = middle;
  }
  let ties = count - below;
  for (const { values, mask } of tensors) {
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      const m = magnitude(values[i]);
      if (m < threshold) mask[i] = 0;
      else if (m === threshold && ties > 0) {
        mask[i] = 0;
        ties--;
      }
    }
  }
  return threshold;
}

/** The layer's weight, what is masked with its nodes, and the next weight layer. */
function nodeStructure(net: Net, op: string, layer: number | string): NodeStructure {
  const params = net.parameters();
  const weights = weightParameters(params);
  const index = typeof layer === 'number' ? layer : /^\d+(\.weight)?$/.test(layer) ? Number.parseInt(layer, 10) : NaN;
  const weight = weights.find((p) => p.layer === index);
  if (!weight)
    throw new EngineError(`${op}: unknown layer '${String(layer)}' (a linear or conv layer's index or weight); ${describeLayers(params)}`);
  const outgoing = weights.find((p) => p.layer > weight.layer);
  const nextLayer = outgoing ? outgoing.layer : Infinity;
  const width = weight.shape[0];
  const own = [weight];
  for (const p of params) {
    if (!p.trainable || p === weight || p.layer < weight.layer || p.layer >= nextLayer) continue;
    // The layer's bias, and per-channel affine parameters (batch norm) of the layers between it and the next weight layer.
    if (p.layer === weight.layer ? localName(p) === 'bias' : p.shape.length === 1 && p.shape[0] === width) own.push(p);
  }
  return { layer: weight.layer, weight, own, outgoing, nextLayer };
}

/** Nodes whose every own parameter slice is masked. */
function deadNodes(structure: NodeStructure, own: readonly Pick<HostTensor, 'mask'>[], width: number): Set<number> {
  const dead = new Set<number>();
  for (let c = 0; c < width; c++) {
    const isDead = own.every(({ mask }) => {
      const slice = mask.length / width;
      for (let i = c * slice; i < (c + 1) * slice; i++) if (mask[i] !== 0) return false;
      return true;
    });
    if (isDead) dead.add(c);
  }
  return dead;
}

function checkNodes(op: string, nodes: readonly number[], width: number, weight: string): number[] {
  if (!Array.isArray(nodes)) throw new EngineError(`${op}: nodes must be an array of node indices`);
  for (const c of nodes) {
    if (!Number.isInteger(c) || c < 0 || c >= width) {
      throw new EngineError(`${op}: node ${String(c)} is outside '${weight}' with ${width} nodes (0..${width - 1})`);
    }
  }
  return [...new Set(nodes)];
}

/** The L2 norm of each node's incoming weights (row c of [n, ...]). */
function weightNormScores(weight: Float32Array, width: number): Float64Array {
  const slice = weight.length / width;
  const scores = new Float64Array(width);
  for (let c = 0; c < width; c++) {
    let sum = 0;
    for (let i = c * slice; i < (c + 1) * slice; i++) sum += weight[i] * weight[i];
    scores[c] = Math.sqrt(sum);
  }
  return scores;
}

/** Each node's mean activation (over samples and positions) at the last per-channel layer before the next weight layer. */
async function activationScores(net: Net, op: string, structure: NodeStructure, x: Float32Array | undefined): Promise<Float64Array> {
  if (!(x instanceof Float32Array)) throw new EngineError(`${op}: by 'activation' needs a probe batch x (Float32Array)`);
  const width = structure.weight.shape[0];
  const { layers } = await net.activations(x, { mode: 'eval' });
  let source = layers.find((l) => l.index === structure.layer)!;
  for (const l of layers) {
    if (l.index <= structure.layer || l.index >= structure.nextLayer) continue;
    if (l.type === 'flatten') break;
    if (l.output.shape[1] === width) source = l;
  }
  const values = await source.output.read();
  const samples = source.output.shape[0];
  const positions = values.length / (samples * width);
  const scores = new Float64Array(width);
  for (let s = 0; s < samples; s++) {
    for (let c = 0; c < width; c++) {
      const start = (s * width + c) * positions;
      for (let p = 0; p < positions; p++) scores[c] += values[start + p];
    }
  }
  for (let c = 0; c < width; c++) scores[c] /= samples * positions;
  return scores;
}

/** Zeroes the mask slices of the chosen nodes in a tensor whose first axis (of `rows` rows) is the node axis. */
function maskNodeSlices(mask: Float32Array, rows: number, nodes: readonly number[]): void {
  const slice = mask.length / rows;
  for (const c of nodes) mask.fill(0, c * slice, (c + 1) * slice);
}

/**
 * Zeroes the next weight layer's inputs fed by the chosen nodes: weight [out, in, ...rest] with in = width * block,
 * where node c feeds inputs c*block .. (c+1)*block - 1 (block > 1 when a flatten of [C, H, W] sits between them).
 */
function maskNodeInputs(next: HostTensor, width: number, nodes: readonly number[], op: string): void {
  const [outputs, inputs] = next.param.shape;
  if (inputs % width !== 0) {
    throw new EngineError(`${op}: the next weight '${next.param.name}' has ${inputs} inputs, not a multiple of the layer's ${width} nodes`);
  }
  const block = inputs / width;
  const rest = next.mask.length / (outputs * inputs);
  for (let o = 0; o < outputs; o++) {
    for (const c of nodes) {
      const start = (o * inputs + c * block) * rest;
      next.mask.fill(0, start, start + block * rest);
    }
  }
}
