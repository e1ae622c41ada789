// What the layer files share: argument checks for the builders, Python-style reprs and parameter lookup in forward().
import type { ValueId } from '../../autodiff/types.js';
import { EngineError, ShapeError } from '../../errors.js';
import type { Shape } from '../../tensor-meta.js';
import { defaultBiasInit, defaultWeightInit } from '../init.js';
import type { ParameterSpec } from '../types.js';

/** A window size, stride or padding: one number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Throws unless value is an integer >= min; `builder` is the call being checked, e.g. 'nn.linear'. */
export function requireInteger(builder: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const expected = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new EngineError(`${builder}: ${name} must be ${expected}, got ${describeValue(value)}`);
  }
  return value;
}

/** Checks a Pair argument and returns it as [height, width]. */
export function requirePair(builder: string, name: string, value: unknown, min: number): [number, number] {
  if (Array.isArray(value)) {
    if (value.length !== 2)
      throw new EngineError(`${builder}: ${name} must be a number or a pair [height, width], got ${describeValue(value)}`);
    return [requireInteger(builder, `${name}[0]`, value[0], min), requireInteger(builder, `${name}[1]`, value[1], min)];
  }
  const n = requireInteger(builder, name, value, min);
  return [n, n];
}

/** Throws unless value is a number in [low, high] (or (low, high] with `openLow`). */
export function requireNumberIn(builder: string, name: string, value: unknown, low: number, high: number, openLow = false): number {
  const inside = typeof value === 'number' && Number.isFinite(value) && (openLow ? value > low : value >= low) && value <= high;
  if (!inside) {
    const range = high === Infinity ? `${openLow ? '>' : '>='} ${low}` : `in ${openLow ? '(' : '['}${low}, ${high}]`;
    throw new EngineError(`${builder}: ${name} must be a finite number ${range}, got ${describeValue(value)}`);
  }
  return value as number;
}

/** Throws unless value is undefined or a plain object with only the allowed keys. */
export function requireOptions(builder: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError(`${builder}: options must be an object like { ${allowed.join(', ')} }, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new EngineError(`${builder}: unknown option '${key}' (options: ${allowed.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

export function requireBoolean(builder: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new EngineError(`${builder}: ${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** A value for an error message: JSON where it has one, else its type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

/** Python's repr of a float, as PyTorch prints hyperparameters: 0.1, 1e-05, 1.0. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  const positional = String(x);
  return positional.includes('.') ? positional : `${positional}.0`;
}

/** Python's repr of a tuple of ints: (3, 3). */
export function pythonTuple(values: readonly number[]): string {
  return `(${values.join(', ')}${values.length === 1 ? ',' : ''})`;
}

/** A Pair as the user wrote it, in Python: 2 stays 2, [2, 3] becomes (2, 3). */
export function pythonPair(value: Pair): string {
  return typeof value === 'number' ? String(value) : pythonTuple(value);
}

export function pythonBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/** A layer's graph value for a local parameter name; the compiled net passes every name parameters() listed. */
export function requireValue(layer: string, params: Readonly<Record<string, ValueId>>, name: string): ValueId {
  const value = params[name];
  if (value === undefined) {
    throw new EngineError(
      `${layer}: forward needs its parameter '${name}', but it was not passed (got ${Object.keys(params).join(', ') || 'none'})`,
    );
  }
  return value;
}

/** Throws unless the per-sample input shape is an array of positive integers. */
export function requireShape(layer: string, input: Shape): void {
  if (!Array.isArray(input) || !input.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new EngineError(`${layer}: a per-sample input shape must be an array of positive integers, got ${describeValue(input)}`);
  }
}

/** Throws the layer's ShapeError unless the per-sample input has the given rank. */
export function requireRank(layer: string, input: Shape, ranks: readonly number[], meaning: string): void {
  requireShape(layer, input);
  if (!ranks.includes(input.length)) {
    throw new ShapeError(layer, `expects a per-sample input of rank ${ranks.join(' or ')} (${meaning})`, { input });
  }
}

/** The output size of a window along one axis, as PyTorch computes it (floor mode, no dilation). */
export function windowOutput(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** A linear or conv layer's 'weight' and optional 'bias' (one per output), with PyTorch's default initial values. */
export function weightAndBias(weightShape: Shape, bias: boolean): ParameterSpec[] {
  const weight: ParameterSpec = {
    name: 'weight',
    shape: weightShape,
    trainable: true,
    role: 'weight',
    init: (rng) => defaultWeightInit(weightShape, rng),
  };
  if (!bias) return [weight];
  return [
    weight,
    { name: 'bias', shape: [weightShape[0]], trainable: true, role: 'bias', init: (rng) => defaultBiasInit(weightShape, rng) },
  ];
}
