// Emergence-promoting initialization (EMERGENCE.md section 4, seed 1 eq. 8): a standard draw scaled by alpha^k per layer.
import { EngineError } from '../errors.js';
import { kaimingNormal, kaimingUniform, xavierNormal, xavierUniform, fanInAndFanOut } from '../nn/init.js';
import { describeValue } from '../nn/layers/common.js';
import type { Net } from '../nn/net.js';
import { Random } from '../random.js';
import type { Shape } from '../tensor-meta.js';
import { measure } from './measure.js';
import { balanceLayer } from './value.js';

/** The standard scheme drawn before scaling: Kaiming/He (fan-in, ReLU gain) or Xavier/Glorot. */
export type InitBase = 'kaiming' | 'xavier';

/** A block member: a weight-layer index (0-based, over the net's linear and conv layers) or a state_dict prefix ('3', '3.weight'). */
export type BlockMember = number | string;

export interface EmergenceInitOptions {
  /** Default 'kaiming' (fan-in, ReLU gain sqrt(2): the paper's choice for MLPs and conv nets); 'xavier' for transformer blocks. */
  base?: InitBase;
  /** Default 'normal'. */
  distribution?: 'normal' | 'uniform';
  /** Xavier's gain (default 1). */
  gain?: number;
  /**
   * The scale base. Default: 2, or, when `lr` is given, the learning-rate rule alpha = alpha0 * (lr0 / lr)^(1/N) with N
   * the number of weight layers in each block (eq. 11). The paper uses 2 without batch norm and 5 with it.
   */
  alpha?: number;
  /** The learning rate the net will train with, for the rule of eq. 11 (not together with alpha). */
  lr?: number;
  /** The rule's reference alpha (default 2) ... */
  alpha0?: number;
  /** ... at this reference learning rate (default 1e-3). */
  lr0?: number;
  /**
   * The layer that keeps its scale. 'middle' (default): the symmetric exponents of the paper. 'balance': the balance
   * layer of EMERGENCE.md section 3 (needs `probe`), exponents k = l - pivot. A number: that layer's position in its block.
   */
  pivot?: 'middle' | 'balance' | number;
  /** Inputs for the 'balance' pivot: active counts are taken on them at the base initialization. */
  probe?: Float32Array;
  /** Activity threshold of the 'balance' pivot's counts (default 0.05). */
  threshold?: number;
  /** Exponents are clipped to [-cap, cap]. */
  cap?: number;
  /**
   * Block-wise application: each block (weight-layer indices or state_dict prefixes) gets its own schedule; weight layers
   * in no block are drawn but not scaled. Default: one block of every weight layer.
   */
  blocks?: readonly (readonly BlockMember[])[];
  /** 'zeros' (default) or 'keep' the current biases. */
  bias?: 'zeros' | 'keep';
  /** Seed of the draw; default the engine's seed (the one compile uses for the initial weights). */
  seed?: number;
}

/** One weight layer as init left it. */
export interface InitLayerReport {
  /** The weight's state_dict name, e.g. '2.weight'. */
  name: string;
  /** Index of its block in report.blocks, or null when it is in no block (factor 1). */
  block: number | null;
  exponent: number;
  /** alpha^exponent. */
  factor: number;
  fanIn: number;
  fanOut: number;
  /** Standard deviation of the base draw, then after the factor. */
  baseStd: number;
  std: number;
  /** Uniform draws: the bound after the factor (values in [-bound, bound]). */
  bound?: number;
}

export interface InitBlockReport {
  /** The weight names in the block, in net order. */
  layers: string[];
  alpha: number;
  /** The layer of the block with exponent 0 (position in the block), or null for the even-length middle layout. */
  pivot: number | null;
  exponents: number[];
}

export interface InitReport {
  base: InitBase;
  distribution: 'normal' | 'uniform';
  pivot: 'middle' | 'balance' | number;
  /** The alpha of the blocks; one per block when the learning-rate rule gives blocks of different lengths different values. */
  alpha: number | number[];
  alphaRule: string;
  cap: number | null;
  bias: 'zeros' | 'keep';
  seed: number;
  blocks: InitBlockReport[];
  layers: InitLayerReport[];
  /** The balance pivot's active counts at the base initialization, per hidden layer (named by weight prefix), ... */
  balanceCounts?: { name: string; n: number; a: number }[];
  /** ... and how emergence.measure counted them. */
  balanceConvention?: string;
  /** What happened to the optimizer's moments. */
  optimizer: string;
}

const optionNames = [
  'base',
  'distribution',
  'gain',
  'alpha',
  'lr',
  'alpha0',
  'lr0',
  'pivot',
  'probe',
  'threshold',
  'cap',
  'blocks',
  'bias',
  'seed',
];

/**
 * Symmetric exponents for a block of `layers` weight layers. Middle pivot: -(L-1)/2 .. (L-1)/2 for odd L and
 * -L/2..-1, 1..L/2 for even L (no zero); a numeric pivot p: k_l = l - p. Then clipped to [-cap, cap].
 */
export function emergenceExponents(layers: number, options: { pivot?: 'middle' | number; cap?: number } = {}): number[] {
  if (!Number.isSafeInteger(layers) || layers < 1) {
    throw new EngineError(`emergence.exponents: the layer count must be a positive integer, got ${describeValue(layers)}`);
  }
  const pivot = options.pivot ?? 'middle';
  const cap = options.cap ?? Infinity;
  if (!(typeof cap === 'number' && cap >= 0))
    throw new EngineError(`emergence.exponents: cap must be a number >= 0, got ${describeValue(cap)}`);
  let exponents: number[];
  if (pivot === 'middle') {
    const half = layers / 2;
    exponents = Array.from({ length: layers }, (_, l) => (layers % 2 === 1 ? l - (layers - 1) / 2 : l < half ? l - half : l - half + 1));
  } else if (typeof pivot === 'number' && Number.isInteger(pivot) && pivot >= 0 && pivot < layers) {
    exponents = Array.from({ length: layers }, (_, l) => l - pivot);
  } else {
    throw new EngineError(`emergence.exponents: pivot must be 'middle' or a layer position in [0, ${layers}), got ${describeValue(pivot)}`);
  }
  return exponents.map((k) => Math.max(-cap, Math.min(cap, k)) + 0);
}

/** The learning-rate rule of eq. 11: alpha = alpha0 * (lr0 / lr)^(1/layers); alpha0 = 2 at lr0 = 1e-3 by default. */
export function alphaForLearningRate(lr: number, layers: number, options: { alpha0?: number; lr0?: number } = {}): number {
  const { alpha0 = 2, lr0 = 1e-3 } = options;
  for (const [name, value] of [
    ['lr', lr],
    ['alpha0', alpha0],
    ['lr0', lr0],
  ] as const) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new EngineError(`emergence.alphaForLearningRate: ${name} must be a positive finite number, got ${describeValue(value)}`);
    }
  }
  if (!Number.isSafeInteger(layers) || layers < 1) {
    throw new EngineError(`emergence.alphaForLearningRate: layers must be a positive integer, got ${describeValue(layers)}`);
  }
  return alpha0 * Math.pow(lr0 / lr, 1 / layers);
}

/** A weight layer of the net: a trainable tensor named '<prefix>.weight' with at least two dimensions, and its bias. */
export interface WeightLayer {
  prefix: string;
  weight: string;
  bias?: string;
  shape: Shape;
  /** Index of the Sequential layer that owns it. */
  layer: number;
}

/** The net's linear and conv weights in state_dict order (batch norm's 1-D 'weight' is no weight layer). */
export function weightLayers(net: Net): WeightLayer[] {
  const parameters = net.parameters();
  const layers: WeightLayer[] = [];
  for (const p of parameters) {
    if (!p.trainable || !p.name.endsWith('.weight') || p.shape.length < 2) continue;
    const prefix = p.name.slice(0, -'.weight'.length);
    const bias = parameters.find((q) => q.name === `${prefix}.bias` && q.layer === p.layer);
    layers.push({ prefix, weight: p.name, bias: bias?.name, shape: p.shape, layer: p.layer });
  }
  return layers;
}

/** Resolves options.blocks to lists of weight-layer indices (sorted, disjoint). */
function resolveBlocks(layers: readonly WeightLayer[], blocks: EmergenceInitOptions['blocks']): number[][] {
  if (blocks === undefined) return [layers.map((_, i) => i)];
  if (!Array.isArray(blocks) || blocks.length === 0) {
    throw new EngineError(`emergence.init: blocks must be a non-empty array of arrays, got ${describeValue(blocks)}`);
  }
  const owner = new Map<number, number>();
  return blocks.map((members, b) => {
    if (!Array.isArray(members) || members.length === 0) {
      throw new EngineError(
        `emergence.init: blocks[${b}] must be a non-empty array of layer indices or prefixes, got ${describeValue(members)}`,
      );
    }
    const indices = new Set<number>();
    for (const member of members as readonly BlockMember[]) {
      const matched =
        typeof member === 'number'
          ? Number.isInteger(member) && member >= 0 && member < layers.length
            ? [member]
            : []
          : typeof member === 'string'
            ? layers.flatMap((l, i) => (l.weight === member || l.prefix === member || l.prefix.startsWith(`${member}.`) ? [i] : []))
            : [];
      if (matched.length === 0) {
        throw new EngineError(
          `emergence.init: blocks[${b}] member ${describeValue(member)} names no weight layer; the weight layers are ` +
            layers.map((l, i) => `${i} ('${l.prefix}')`).join(', '),
        );
      }
      for (const i of matched) {
        const previous = owner.get(i);
        if (previous !== undefined && previous !== b) {
          throw new EngineError(`emergence.init: weight layer '${layers[i].weight}' is in blocks[${previous}] and blocks[${b}]`);
        }
        owner.set(i, b);
        indices.add(i);
      }
    }
    return [...indices].sort((p, q) => p - q);
  });
}

function checkOptions(options: EmergenceInitOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new EngineError(`emergence.init: options must be an object like { base: 'kaiming', alpha: 2 }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!optionNames.includes(key)) throw new EngineError(`emergence.init: unknown option '${key}' (options: ${optionNames.join(', ')})`);
  }
  const { base, distribution, gain, alpha, lr, pivot, probe, threshold, cap, bias, seed } = options;
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (base !== undefined && base !== 'kaiming' && base !== 'xavier') {
    throw new EngineError(`emergence.init: base must be 'kaiming' or 'xavier', got ${describeValue(base)}`);
  }
  if (distribution !== undefined && distribution !== 'normal' && distribution !== 'uniform') {
    throw new EngineError(`emergence.init: distribution must be 'normal' or 'uniform', got ${describeValue(distribution)}`);
  }
  if (gain !== undefined && base !== 'xavier') throw new EngineError(`emergence.init: gain applies to base 'xavier' only`);
  if (alpha !== undefined && !positive(alpha))
    throw new EngineError(`emergence.init: alpha must be a positive finite number, got ${describeValue(alpha)}`);
  if (alpha !== undefined && lr !== undefined) {
    throw new EngineError(`emergence.init: give alpha or lr (for the rule alpha = alpha0 * (lr0 / lr)^(1/N)), not both`);
  }
  if ((options.alpha0 !== undefined || options.lr0 !== undefined) && lr === undefined) {
    throw new EngineError(`emergence.init: alpha0 and lr0 belong to the learning-rate rule and need lr`);
  }
  if (pivot === 'balance' && !(probe instanceof Float32Array)) {
    throw new EngineError(`emergence.init: pivot 'balance' needs probe, a Float32Array of inputs to count active nodes on`);
  }
  if (
    pivot !== undefined &&
    pivot !== 'middle' &&
    pivot !== 'balance' &&
    !(typeof pivot === 'number' && Number.isInteger(pivot) && pivot >= 0)
  ) {
    throw new EngineError(`emergence.init: pivot must be 'middle', 'balance' or a layer position, got ${describeValue(pivot)}`);
  }
  if (probe !== undefined && pivot !== 'balance') throw new EngineError(`emergence.init: probe is used by pivot 'balance' only`);
  if (threshold !== undefined && !(typeof threshold === 'number' && Number.isFinite(threshold))) {
    throw new EngineError(`emergence.init: threshold must be a finite number, got ${describeValue(threshold)}`);
  }
  if (cap !== undefined && !(typeof cap === 'number' && cap >= 0)) {
    throw new EngineError(`emergence.init: cap must be a number >= 0, got ${describeValue(cap)}`);
  }
  if (bias !== undefined && bias !== 'zeros' && bias !== 'keep') {
    throw new EngineError(`emergence.init: bias must be 'zeros' or 'keep', got ${describeValue(bias)}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw new EngineError(`emergence.init: seed must be an integer, got ${describeValue(seed)}`);
}

/** The base draw of one weight and its standard deviation (PyTorch's formulas, one seeded Random in state_dict order). */
function drawBase(
  shape: Shape,
  rng: Random,
  base: InitBase,
  distribution: 'normal' | 'uniform',
  gain: number,
): { values: Float32Array; std: number } {
  const { fanIn, fanOut } = fanInAndFanOut(shape);
  if (base === 'kaiming') {
    const kaiming = { mode: 'fan_in' as const, nonlinearity: 'relu' as const };
    const values = distribution === 'normal' ? kaimingNormal(shape, rng, kaiming) : kaimingUniform(shape, rng, kaiming);
    return { values, std: Math.sqrt(2 / fanIn) };
  }
  const values = distribution === 'normal' ? xavierNormal(shape, rng, { gain }) : xavierUniform(shape, rng, { gain });
  return { values, std: gain * Math.sqrt(2 / (fanIn + fanOut)) };
}

/**
 * Re-draws every weight layer (linear and conv weights, state_dict order) with the base scheme, zeroes the biases (or
 * keeps them), and multiplies weight layer l of each block by alpha^k_l. Batch norm's parameters and running statistics
 * are untouched. The draw is seeded and done on the host, so the weights are bit-identical on every backend and runtime;
 * with alpha 1 they equal compile's init { name: 'kaiming-normal' } (or xavier/uniform) for the same seed.
 */
export async function init(net: Net, options: EmergenceInitOptions = {}): Promise<InitReport> {
  checkOptions(options);
  const base = options.base ?? 'kaiming';
  const distribution = options.distribution ?? 'normal';
  const gain = options.gain ?? 1;
  const pivotOption = options.pivot ?? 'middle';
  const bias = options.bias ?? 'zeros';
  const seed = options.seed ?? net.engine.seed;
  const layers = weightLayers(net);
  if (layers.length === 0) throw new EngineError(`emergence.init: the net has no linear or conv weight to initialize`);
  const blocks = resolveBlocks(layers, options.blocks);

  const rng = new Random(seed);
  const drawn = layers.map((l) => drawBase(l.shape, rng, base, distribution, gain));
  const biases: Record<string, Float32Array> = {};
  if (bias === 'zeros') for (const l of layers) if (l.bias) biases[l.bias] = new Float32Array(l.shape[0]);

  let balanceCounts: InitReport['balanceCounts'];
  let balanceConvention: string | undefined;
  const pivots: (number | 'middle')[] = [];
  if (pivotOption === 'balance') {
    // Counts at the base initialization: load the unscaled draw first.
    await net.loadStateDict({ ...biases, ...Object.fromEntries(layers.map((l, i) => [l.weight, drawn[i].values])) });
    const measured = await measure(net, options.probe!, { threshold: options.threshold ?? 0.05 });
    const counts = measured.layers.map((m) => ({ weightLayer: layers.findIndex((l) => l.prefix === m.name), n: m.n, a: m.a }));
    balanceCounts = measured.layers.map((m) => ({ name: m.name, n: m.n, a: m.a }));
    balanceConvention = measured.convention.description;
    for (const block of blocks) {
      const hidden = block.filter((i) => counts.some((c) => c.weightLayer === i));
      if (hidden.length === 0) {
        throw new EngineError(
          `emergence.init: the block of ${block.map((i) => `'${layers[i].weight}'`).join(', ')} has no hidden layer to balance`,
        );
      }
      const n = hidden.map((i) => counts.find((c) => c.weightLayer === i)!.n);
      const a = hidden.map((i) => counts.find((c) => c.weightLayer === i)!.a);
      const balance = balanceLayer(n, a);
      if (balance.index < 0) {
        throw new EngineError(
          `emergence.init: pivot 'balance': no hidden layer of the block has Delta_i > 0 (n = [${n.join(', ')}], a = [${a.join(', ')}]), ` +
            `so there is no balance layer; use pivot 'middle'`,
        );
      }
      pivots.push(block.indexOf(hidden[balance.index]));
    }
  } else {
    for (const block of blocks) {
      if (typeof pivotOption === 'number' && pivotOption >= block.length) {
        throw new EngineError(`emergence.init: pivot ${pivotOption} is past the end of a block of ${block.length} weight layers`);
      }
      pivots.push(pivotOption);
    }
  }

  const blockReports: InitBlockReport[] = [];
  const exponentOf = new Map<number, { block: number; exponent: number; alpha: number }>();
  for (const [b, block] of blocks.entries()) {
    const alpha = options.lr !== undefined ? alphaForLearningRate(options.lr, block.length, options) : (options.alpha ?? 2);
    const exponents = emergenceExponents(block.length, { pivot: pivots[b], cap: options.cap });
    for (const [position, i] of block.entries()) exponentOf.set(i, { block: b, exponent: exponents[position], alpha });
    const pivot = pivots[b] === 'middle' ? (block.length % 2 === 1 ? (block.length - 1) / 2 : null) : (pivots[b] as number);
    blockReports.push({ layers: block.map((i) => layers[i].weight), alpha, pivot, exponents });
  }

  const weights: Record<string, Float32Array> = {};
  const layerReports = layers.map((l, i): InitLayerReport => {
    const { block = null, exponent = 0, alpha = 1 } = exponentOf.get(i) ?? {};
    const factor = Math.pow(alpha, exponent);
    const values = drawn[i].values;
    if (factor !== 1) for (let j = 0; j < values.length; j++) values[j] *= factor;
    weights[l.weight] = values;
    const { fanIn, fanOut } = fanInAndFanOut(l.shape);
    const report: InitLayerReport = {
      name: l.weight,
      block,
      exponent,
      factor,
      fanIn,
      fanOut,
      baseStd: drawn[i].std,
      std: drawn[i].std * factor,
    };
    if (distribution === 'uniform') report.bound = Math.sqrt(3) * drawn[i].std * factor;
    return report;
  });
  await net.loadStateDict({ ...biases, ...weights });

  const alphas = [...new Set(blockReports.map((b) => b.alpha))];
  return {
    base,
    distribution,
    pivot: pivotOption,
    alpha: alphas.length === 1 ? alphas[0] : blockReports.map((b) => b.alpha),
    alphaRule:
      options.lr !== undefined
        ? `alpha = ${options.alpha0 ?? 2} * (${options.lr0 ?? 1e-3} / ${options.lr})^(1/N), N = weight layers per block`
        : options.alpha !== undefined
          ? 'given'
          : 'default 2 (the paper: 2 without batch norm, 5 with it)',
    cap: options.cap ?? null,
    bias,
    seed,
    blocks: blockReports,
    layers: layerReports,
    ...(balanceCounts ? { balanceCounts, balanceConvention } : {}),
    optimizer:
      net.steps === 0
        ? 'no step taken yet: the optimizer moments are still zero'
        : `kept from ${net.steps} earlier steps (moments of the old weights); compile a fresh net to train from this init as PyTorch users re-create the optimizer`,
  };
}
