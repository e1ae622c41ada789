// Weight initializers with PyTorch's formulas (torch.nn.init and the Linear/Conv2d defaults), drawn from the seeded Random.
import { EngineError } from '../errors.js';
import type { Random } from '../random.js';
import { formatShape, sizeOf, type Shape } from '../tensor-meta.js';

/** Nonlinearities whose recommended gain torch.nn.init.calculate_gain knows. */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

export interface KaimingOptions {
  /** 'fan_in' (default) keeps the forward pass's variance; 'fan_out' the backward pass's. */
  mode?: 'fan_in' | 'fan_out';
  /** Default 'leaky_relu' with slope `a` = 0, which is ReLU's gain sqrt(2), as in PyTorch. */
  nonlinearity?: Nonlinearity;
  /** The negative slope of leaky_relu (default 0); ignored by other nonlinearities, as in PyTorch. */
  a?: number;
}

export interface XavierOptions {
  /** Scale factor (default 1), e.g. calculateGain('relu'). */
  gain?: number;
}

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * Fan-in and fan-out of a weight shape like torch.nn.init._calculate_fan_in_and_fan_out: [out, in] for linear layers,
 * [out, in, ...kernel] for convolutions (each multiplied by the kernel's size).
 */
export function fanInAndFanOut(shape: Shape): Fans {
  checkShape('fanInAndFanOut', shape);
  if (shape.length < 2) {
    throw new EngineError(`fanInAndFanOut: fan in and fan out need a weight with at least 2 dimensions, got ${formatShape(shape)}`);
  }
  let receptiveField = 1;
  for (let i = 2; i < shape.length; i++) receptiveField *= shape[i];
  return { fanIn: shape[1] * receptiveField, fanOut: shape[0] * receptiveField };
}

/** The recommended gain for a nonlinearity, like torch.nn.init.calculate_gain (`param` is leaky_relu's slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope))
        throw new EngineError(`calculateGain: leaky_relu's negative slope must be a finite number, got ${slope}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new EngineError(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/** He et al. (2015), uniform: U(-b, b) with b = gain * sqrt(3 / fan), like torch.nn.init.kaiming_uniform_. */
export function kaimingUniform(shape: Shape, rng: Random, options: KaimingOptions = {}): Float32Array {
  if (isEmpty('kaimingUniform', shape)) return new Float32Array(0);
  const bound = Math.sqrt(3) * kaimingStd(shape, options);
  return rng.uniformArray(sizeOf(shape), -bound, bound);
}

/** He et al. (2015), normal: N(0, std^2) with std = gain / sqrt(fan), like torch.nn.init.kaiming_normal_. */
export function kaimingNormal(shape: Shape, rng: Random, options: KaimingOptions = {}): Float32Array {
  if (isEmpty('kaimingNormal', shape)) return new Float32Array(0);
  return rng.normalArray(sizeOf(shape), 0, kaimingStd(shape, options));
}

/** Glorot and Bengio (2010), uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)), like xavier_uniform_. */
export function xavierUniform(shape: Shape, rng: Random, options: XavierOptions = {}): Float32Array {
  if (isEmpty('xavierUniform', shape)) return new Float32Array(0);
  const bound = Math.sqrt(3) * xavierStd('xavierUniform', shape, options);
  return rng.uniformArray(sizeOf(shape), -bound, bound);
}

/** Glorot and Bengio (2010), normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)), like xavier_normal_. */
export function xavierNormal(shape: Shape, rng: Random, options: XavierOptions = {}): Float32Array {
  if (isEmpty('xavierNormal', shape)) return new Float32Array(0);
  return rng.normalArray(sizeOf(shape), 0, xavierStd('xavierNormal', shape, options));
}

/**
 * PyTorch's default weight of nn.Linear ([out, in]) and nn.Conv2d ([O, C, KH, KW]): kaiming_uniform_ with a = sqrt(5),
 * which is U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
export function defaultWeightInit(shape: Shape, rng: Random): Float32Array {
  return kaimingUniform(shape, rng, { a: Math.sqrt(5), nonlinearity: 'leaky_relu', mode: 'fan_in' });
}

/**
 * PyTorch's default bias of nn.Linear and nn.Conv2d, given the layer's weight shape: shape[0] values from
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (zeros when fanIn is 0, as in PyTorch).
 */
export function defaultBiasInit(weightShape: Shape, rng: Random): Float32Array {
  const { fanIn } = fanInAndFanOut(weightShape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rng.uniformArray(weightShape[0], -bound, bound);
}

function kaimingStd(shape: Shape, { mode = 'fan_in', nonlinearity = 'leaky_relu', a = 0 }: KaimingOptions): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new EngineError(`kaiming: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  const fans = fanInAndFanOut(shape);
  const fan = mode === 'fan_in' ? fans.fanIn : fans.fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

function xavierStd(name: string, shape: Shape, { gain = 1 }: XavierOptions): number {
  if (!Number.isFinite(gain) || gain < 0) throw new EngineError(`${name}: gain must be a finite non-negative number, got ${gain}`);
  const { fanIn, fanOut } = fanInAndFanOut(shape);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** PyTorch leaves zero-element tensors untouched (with a warning); here they give an empty array. */
function isEmpty(name: string, shape: Shape): boolean {
  checkShape(name, shape);
  return shape.some((d) => d === 0);
}

function checkShape(name: string, shape: Shape): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new EngineError(`${name}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}
