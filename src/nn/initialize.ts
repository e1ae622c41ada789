// Initial parameter values: the compile-time `init` option over the layers' PyTorch defaults, drawn in state_dict order
// from one seeded Random so that every backend and runtime starts from the same bits.
import { EngineError } from '../errors.js';
import { Random } from '../random.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';
import { kaimingNormal, kaimingUniform, xavierNormal, xavierUniform } from './init.js';
import { describeValue } from './layers/common.js';
import { namedParameters } from './sequential.js';
import type { InitName, InitOptions, ParameterSpec, Sequential } from './types.js';

const initNames: readonly InitName[] = ['pytorch', 'kaiming-normal', 'kaiming-uniform', 'xavier-normal', 'xavier-uniform'];

/** The options each initializer accepts besides `name`. */
const allowedOptions: Record<InitName, readonly string[]> = {
  pytorch: ['bias'],
  'kaiming-normal': ['mode', 'nonlinearity', 'negativeSlope', 'bias'],
  'kaiming-uniform': ['mode', 'nonlinearity', 'negativeSlope', 'bias'],
  'xavier-normal': ['gain', 'bias'],
  'xavier-uniform': ['gain', 'bias'],
};

/** Throws an error naming the option and value unless `init` is undefined or valid InitOptions. */
export function checkInitOptions(init: InitOptions | undefined): void {
  if (init === undefined) return;
  if (typeof init !== 'object' || init === null)
    throw new EngineError(`init must be an object like { name: 'kaiming-normal' }, got ${describeValue(init)}`);
  if (!initNames.includes(init.name)) {
    throw new EngineError(`init.name must be one of ${initNames.map((n) => `'${n}'`).join(', ')}, got ${describeValue(init.name)}`);
  }
  for (const key of Object.keys(init)) {
    if (key !== 'name' && !allowedOptions[init.name].includes(key)) {
      throw new EngineError(`init: '${key}' is not an option of '${init.name}' (it takes ${allowedOptions[init.name].join(', ')})`);
    }
  }
  const { mode, nonlinearity, negativeSlope, gain, bias } = init;
  if (mode !== undefined && mode !== 'fan_in' && mode !== 'fan_out') {
    throw new EngineError(`init.mode must be 'fan_in' or 'fan_out', got ${describeValue(mode)}`);
  }
  if (nonlinearity !== undefined && !['relu', 'linear', 'leaky_relu'].includes(nonlinearity)) {
    throw new EngineError(`init.nonlinearity must be 'relu', 'linear' or 'leaky_relu', got ${describeValue(nonlinearity)}`);
  }
  if (negativeSlope !== undefined) {
    if (nonlinearity !== 'leaky_relu') {
      throw new EngineError(
        `init.negativeSlope applies to nonlinearity 'leaky_relu' only, got nonlinearity ${describeValue(nonlinearity ?? 'relu')}`,
      );
    }
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
      throw new EngineError(`init.negativeSlope must be a finite number, got ${describeValue(negativeSlope)}`);
    }
  }
  if (gain !== undefined && (typeof gain !== 'number' || !Number.isFinite(gain) || gain < 0)) {
    throw new EngineError(`init.gain must be a finite number >= 0, got ${describeValue(gain)}`);
  }
  if (bias !== undefined && bias !== 'zeros' && bias !== 'pytorch') {
    throw new EngineError(`init.bias must be 'zeros' or 'pytorch', got ${describeValue(bias)}`);
  }
}

/**
 * One tensor's initial values: `init` replaces the 'weight' of linear and conv layers (kaiming or xavier, with PyTorch's
 * formulas) and sets their 'bias' to zeros unless init.bias is 'pytorch'; init undefined or 'pytorch' keeps each
 * layer's default, as does every tensor of role 'other' (batch norm's gamma, beta and running statistics).
 */
export function initialValues(spec: ParameterSpec, init: InitOptions | undefined, rng: Random): Float32Array {
  checkInitOptions(init);
  const values = chooseValues(spec, init, rng);
  if (values.length !== sizeOf(spec.shape)) {
    throw new EngineError(
      `initial values of '${spec.name}' ${formatShape(spec.shape)}: got ${values.length} values, expected ${sizeOf(spec.shape)}`,
    );
  }
  return values;
}

function chooseValues(spec: ParameterSpec, init: InitOptions | undefined, rng: Random): Float32Array {
  if (init === undefined || spec.role === 'other') return spec.init(rng);
  if (spec.role === 'bias') {
    const bias = init.bias ?? (init.name === 'pytorch' ? 'pytorch' : 'zeros');
    return bias === 'pytorch' ? spec.init(rng) : new Float32Array(sizeOf(spec.shape));
  }
  const kaiming = { mode: init.mode ?? 'fan_in', nonlinearity: init.nonlinearity ?? 'relu', a: init.negativeSlope ?? 0 };
  switch (init.name) {
    case 'pytorch':
      return spec.init(rng);
    case 'kaiming-normal':
      return kaimingNormal(spec.shape, rng, kaiming);
    case 'kaiming-uniform':
      return kaimingUniform(spec.shape, rng, kaiming);
    case 'xavier-normal':
      return xavierNormal(spec.shape, rng, { gain: init.gain ?? 1 });
    case 'xavier-uniform':
      return xavierUniform(spec.shape, rng, { gain: init.gain ?? 1 });
  }
}

/** One tensor of an initial state dict. */
export interface InitialTensor {
  readonly shape: Shape;
  readonly values: Float32Array;
  readonly trainable: boolean;
}

/**
 * Every parameter and float buffer of the model with its initial values, named and ordered as PyTorch's state_dict
 * ('0.weight', '0.bias', '2.running_mean', ...), all drawn in that order from one Random(seed): the same seed gives the
 * same bits on every backend and runtime. Batch norm's int64 counters are not included (see counterNames).
 */
export function initialStateDict(
  model: Sequential,
  inputShape: Shape,
  init: InitOptions | undefined,
  seed: number,
): Map<string, InitialTensor> {
  checkInitOptions(init);
  if (!Number.isSafeInteger(seed)) throw new EngineError(`initialStateDict: seed must be an integer, got ${describeValue(seed)}`);
  const rng = new Random(seed);
  const state = new Map<string, InitialTensor>();
  for (const { name, spec } of namedParameters(model, inputShape)) {
    state.set(name, { shape: spec.shape, values: initialValues(spec, init, rng), trainable: spec.trainable });
  }
  return state;
}
