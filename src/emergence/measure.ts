// emergence.measure: node and active counts of a compiled net's layers on a probe batch, counted on the device, and E from them.
import { EngineError } from '../errors.js';
import type { Activations, LayerActivation, Net } from '../nn/net.js';
import type { Mode } from '../nn/types.js';
import type { NodeStatistic } from '../ops/defs.js';
import type { Tensor } from '../tensor.js';
import { deadNodesByLayer } from './prune.js';
import { log10BigInt, relativeEmergence, value } from './value.js';

export interface MeasureOptions {
  /** θ: a node is active when its statistic exceeds it (strictly). Default 0.05 (EMERGENCE.md section 1). */
  threshold?: number;
  /**
   * 'mean' (default): the node's mean post-activation value over the probe (conv: over samples x height x width).
   * 'fraction': the share of those entries above θ; the node is active when the share exceeds minFraction.
   */
  statistic?: NodeStatistic;
  /** With statistic 'fraction': the share of entries above θ a node needs to count as active. Default 0.5. */
  minFraction?: number;
  /** Forward mode of the probe pass: 'eval' (default; batch norm uses running statistics) or 'train' (batch statistics). */
  mode?: Mode;
  /** Count the input as the first layer of nodes (features, or channels of an image). Default false. */
  includeInput?: boolean;
  /** Count the last weight layer (the output) as the last layer of nodes. Default false. */
  includeOutput?: boolean;
  /**
   * Samples per forward pass; default: the whole probe in one pass. Smaller chunks bound the device memory of the
   * activations; the per-node statistics of the chunks are combined on the host, weighted by their sample counts, so
   * in eval mode the counts match one pass up to float32 rounding of the statistic. In train mode a chunk's batch norm
   * uses the chunk's own batch statistics, so chunking changes what is measured. A last chunk of another size builds a
   * program of its own each call: prefer a probe size that is a multiple of chunkSize.
   */
  chunkSize?: number;
  /**
   * Nodes removed by emergence.pruneNodes (their incoming weights, bias and outgoing weights masked): 'remove'
   * (default) leaves them out of n_i, since node pruning changes the network's widths (EMERGENCE.md section 6);
   * 'count' keeps them in n_i as inactive nodes.
   */
  prunedNodes?: 'remove' | 'count';
}

/** One layer of nodes as measured. */
export interface MeasuredLayer {
  /** The state_dict prefix of the layer's weight layer ('0' for '0.weight'), or 'input'. */
  name: string;
  /** Which output was measured, e.g. '1 (relu after 0 linear)', '4 (linear output, no relu)' or 'input'. */
  label: string;
  /** Index of the model layer whose output was measured; -1 for the input. */
  index: number;
  /** Nodes: the units of a dense layer, the channels (filters) of a convolution. */
  n: number;
  /** Active nodes: those whose statistic exceeds the cutoff. */
  a: number;
  /** a / n. */
  fraction: number;
  /** The per-node statistic over the whole probe (mean value, or share of entries above θ), one value per node. */
  statistic: Float32Array;
}

/** The choices behind a measurement, so that every reported E names the convention that produced it. */
export interface MeasureConvention {
  /** Which layers of nodes count: 'hidden', 'input+hidden', 'hidden+output' or 'input+hidden+output'. */
  layers: string;
  /** Where each layer is measured. */
  point: string;
  statistic: NodeStatistic;
  threshold: number;
  /** With statistic 'fraction': the share of entries above θ that makes a node active. */
  minFraction?: number;
  mode: Mode;
  /** Samples in the probe. */
  probe: number;
  /** Samples per forward pass (the probe size when it ran in one pass). */
  chunkSize: number;
  /** One line naming all of the above. */
  description: string;
}

export interface EmergenceMeasurement {
  /** Exact E over the measured layers (EMERGENCE.md section 2). */
  E: bigint;
  /** E as the nearest float64 (Infinity beyond float64's range). */
  EFloat64: number;
  /** log10(E); -Infinity when E is 0. */
  log10E: number;
  /** Relative emergence E / (all trainable parameters). */
  relative: number;
  /** log10 of `relative`. */
  relativeLog10: number;
  /** Relative emergence over the unpruned parameters only: E / (trainable parameters whose mask is nonzero). */
  relativeUnpruned: number;
  /** log10 of `relativeUnpruned`. */
  relativeUnprunedLog10: number;
  /** Trainable parameters in all (buffers such as running statistics excluded), and those with a nonzero mask. */
  parameters: { total: number; unpruned: number };
  layers: MeasuredLayer[];
  convention: MeasureConvention;
}

/** Where a layer of nodes is read from an activations() result. */
interface MeasurePoint {
  name: string;
  label: string;
  /** Model layer index of the measured output, or -1 for the input. */
  index: number;
  /** Model layer index of the linear/conv layer whose nodes these are (-1 for the input). */
  weight: number;
}

/**
 * Measures which nodes of a compiled net are active on a probe batch x (any number of samples) and the emergence E
 * they give. One forward pass (net.activations, eval mode by default) keeps every layer's output on the device; the
 * per-node statistic and the active count are computed there (engine.activeCounts) and only they come back.
 *
 * Layers of nodes: every linear or conv2d layer is one, with its units or channels as nodes. Each is measured at the
 * output of the first ReLU after it (before the next weight layer): the post-activation output of its block, so batch
 * norm or pooling between the weight layer and its ReLU belong to the block, while pooling after the ReLU does not
 * change what is measured. A weight layer with no ReLU in its block is measured at its own output. By default the
 * hidden layers count (every weight layer but the last); includeInput and includeOutput add the input and the last
 * weight layer.
 */
export async function measure(net: Net, x: Float32Array, options: MeasureOptions = {}): Promise<EmergenceMeasurement> {
  if (typeof (net as Partial<Net> | undefined)?.activations !== 'function') {
    throw new EngineError(`emergence.measure: the first argument must be a compiled Net (engine.compile), got ${describe(net)}`);
  }
  const settings = checkOptions(net, x, options);
  const { count, chunkSize, mode } = settings;
  const engine = net.engine;
  const features = count === 0 ? 0 : x.length / count;
  const parameters = trainableParameterCount(net);
  let points: MeasurePoint[] | undefined;
  const sums: Float64Array[] = [];
  let single: { active: number; statistic: Float32Array }[] | undefined;
  for (let start = 0; start < count; start += chunkSize) {
    const samples = Math.min(chunkSize, count - start);
    const activations = await net.activations(x.subarray(start * features, (start + samples) * features), { mode });
    points ??= measurePoints(net, activations, settings);
    const counts = await Promise.all(
      points.map((point) =>
        engine.activeCounts(outputAt(activations, point), {
          threshold: settings.threshold,
          statistic: settings.statistic,
          minFraction: settings.minFraction,
        }),
      ),
    );
    if (samples === count) single = counts.map(({ active, perNode }) => ({ active, statistic: perNode }));
    counts.forEach(({ perNode }, i) => {
      const sum = (sums[i] ??= new Float64Array(perNode.length));
      for (let node = 0; node < perNode.length; node++) sum[node] += perNode[node] * samples;
    });
  }
  // The kernels compare against the cutoff as a float32; the host count of combined chunks does the same.
  const cutoff = Math.fround(settings.statistic === 'mean' ? settings.threshold : settings.minFraction);
  const masks = await readMasks(net);
  const dead = options.prunedNodes === 'count' ? new Map<number, Set<number>>() : deadNodesByLayer(net, masks);
  const layers = points!.map((point, i): MeasuredLayer => {
    // One pass: the device's own count. Several chunks: the sample-weighted mean of the chunks' statistics, counted here.
    const statistic = single ? single[i].statistic : Float32Array.from(sums[i], (sum) => sum / count);
    // Node-pruned nodes leave n_i; the active ones are then counted here among the nodes that remain.
    const removed = dead.get(point.weight);
    const pruned = removed !== undefined && removed.size > 0;
    const a =
      single && !pruned ? single[i].active : statistic.reduce((active, s, node) => active + (s > cutoff && !removed?.has(node) ? 1 : 0), 0);
    const n = statistic.length - (removed?.size ?? 0);
    return { name: point.name, label: point.label, index: point.index, n, a, fraction: n > 0 ? a / n : 0, statistic };
  });
  const E = value(
    layers.map((layer) => layer.n),
    layers.map((layer) => layer.a),
  );
  let unpruned = 0;
  for (const mask of masks.values()) for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) unpruned++;
  const overAll = relativeEmergence(E, Math.max(1, parameters));
  const overUnpruned =
    unpruned > 0 ? relativeEmergence(E, unpruned) : { float64: E === 0n ? 0 : Infinity, log10: E === 0n ? -Infinity : Infinity };
  return {
    E,
    EFloat64: Number(E),
    log10E: log10BigInt(E),
    relative: overAll.float64,
    relativeLog10: overAll.log10,
    relativeUnpruned: overUnpruned.float64,
    relativeUnprunedLog10: overUnpruned.log10,
    parameters: { total: parameters, unpruned },
    layers,
    convention: convention(settings),
  };
}

interface Settings {
  threshold: number;
  statistic: NodeStatistic;
  minFraction: number;
  mode: Mode;
  includeInput: boolean;
  includeOutput: boolean;
  count: number;
  chunkSize: number;
}

function checkOptions(net: Net, x: Float32Array, options: MeasureOptions): Settings {
  const op = 'emergence.measure';
  if (!(x instanceof Float32Array)) throw new EngineError(`${op}: x must be a Float32Array of samples, got ${describe(x)}`);
  const features = net.inputShape.reduce((a, b) => a * b, 1);
  const count = x.length / features;
  if (x.length === 0 || !Number.isInteger(count)) {
    throw new EngineError(
      `${op}: x has ${x.length} values, not a positive whole number of samples of [${net.inputShape.join(', ')}] (${features} values each)`,
    );
  }
  const { threshold = 0.05, statistic = 'mean', minFraction = 0.5, mode = 'eval' } = options;
  const { includeInput = false, includeOutput = false, chunkSize = count } = options;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw new EngineError(`${op}: threshold must be a finite number, got ${describe(threshold)}`);
  }
  if (statistic !== 'mean' && statistic !== 'fraction') {
    throw new EngineError(`${op}: statistic must be 'mean' or 'fraction', got ${describe(statistic)}`);
  }
  if (typeof minFraction !== 'number' || !(minFraction >= 0 && minFraction < 1)) {
    throw new EngineError(`${op}: minFraction must be a number in [0, 1), got ${describe(minFraction)}`);
  }
  if (mode !== 'eval' && mode !== 'train') throw new EngineError(`${op}: mode must be 'eval' or 'train', got ${describe(mode)}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new EngineError(`${op}: chunkSize must be a positive integer number of samples, got ${describe(chunkSize)}`);
  }
  return { threshold, statistic, minFraction, mode, includeInput, includeOutput, count, chunkSize: Math.min(chunkSize, count) };
}

/** The layers of nodes in order: the input (optional), each weight layer at the first ReLU of its block, the output (optional). */
function measurePoints(net: Net, activations: Activations, settings: Settings): MeasurePoint[] {
  const layers = activations.layers;
  const weightLayers = layers.filter((layer) => layer.hasNodes);
  const prefixes = new Map<number, string>();
  for (const parameter of net.parameters()) if (!prefixes.has(parameter.layer)) prefixes.set(parameter.layer, prefixOf(parameter.name));
  const points: MeasurePoint[] = [];
  if (settings.includeInput) points.push({ name: 'input', label: 'input', index: -1, weight: -1 });
  weightLayers.forEach((weight, k) => {
    const isOutput = k === weightLayers.length - 1;
    if (isOutput && !settings.includeOutput) return;
    const end = isOutput ? layers.length : weightLayers[k + 1].index;
    const channels = weight.output.shape[1];
    const rank = weight.output.shape.length;
    const relu = layers
      .slice(weight.index + 1, end)
      .find((layer) => layer.type === 'relu' && layer.output.shape.length === rank && layer.output.shape[1] === channels);
    const name = prefixes.get(weight.index) ?? String(weight.index);
    points.push(
      relu
        ? { name, label: `${relu.index} (relu after ${weight.index} ${weight.type})`, index: relu.index, weight: weight.index }
        : { name, label: `${weight.index} (${weight.type} output, no relu)`, index: weight.index, weight: weight.index },
    );
  });
  return points;
}

function outputAt(activations: Activations, point: MeasurePoint): Tensor {
  return point.index < 0 ? activations.input : (activations.layers[point.index] as LayerActivation).output;
}

/** '0' for '0.weight'; 'features.3' for 'features.3.weight'. */
function prefixOf(parameterName: string): string {
  const dot = parameterName.lastIndexOf('.');
  return dot < 0 ? parameterName : parameterName.slice(0, dot);
}

/** Entries of every trainable parameter (emergence.countParameters reads the values too; this needs only the shapes). */
function trainableParameterCount(net: Net): number {
  let total = 0;
  for (const parameter of net.parameters()) if (parameter.trainable) total += parameter.shape.reduce((a, b) => a * b, 1);
  return total;
}

/** Every trainable parameter's pruning mask, by name, read once per measurement. */
async function readMasks(net: Net): Promise<Map<string, Float32Array>> {
  const trainable = net.parameters().filter((parameter) => parameter.trainable);
  const masks = await Promise.all(trainable.map((parameter) => net.readMask(parameter.name)));
  return new Map(trainable.map((parameter, i) => [parameter.name, masks[i]]));
}

function convention(settings: Settings): MeasureConvention {
  const layers = [settings.includeInput ? 'input' : '', 'hidden', settings.includeOutput ? 'output' : ''].filter(Boolean).join('+');
  const point = 'post-activation: the first ReLU after each linear/conv2d layer (its own output when it has none)';
  const rule =
    settings.statistic === 'mean'
      ? `mean activation > ${settings.threshold}`
      : `share of entries > ${settings.threshold} above ${settings.minFraction}`;
  const chunks = settings.chunkSize < settings.count ? `, in chunks of ${settings.chunkSize}` : '';
  return {
    layers,
    point,
    statistic: settings.statistic,
    threshold: settings.threshold,
    ...(settings.statistic === 'fraction' ? { minFraction: settings.minFraction } : {}),
    mode: settings.mode,
    probe: settings.count,
    chunkSize: settings.chunkSize,
    description: `${layers} layers (${point}); active: ${rule}; ${settings.mode} mode; probe of ${settings.count} samples${chunks}`,
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Float64Array) return 'a Float64Array';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return String(value);
}
