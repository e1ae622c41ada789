// How each op's attributes travel to and from the AssemblyScript core: a flat list of float64 fields per op.
import { binaryOps, nodeStatistics, poolModes, reduceOps, type AttrsOf, type OpName } from '../ops/defs.js';

/** A number, a boolean (0/1), a pair (two fields, `Name0` and `Name1`), or one of a list of names (its index). */
export type AttrField = 'number' | 'bool' | 'pair' | readonly string[];

/** Each op's attribute fields in encoding order; typed so that an op missing here fails to compile. */
export type AttrLayouts = { [K in OpName]: { readonly [F in keyof AttrsOf<K>]-?: AttrField } };

const window = { size: 'pair', stride: 'pair', padding: 'pair' } as const;

export const attrLayouts: AttrLayouts = {
  matmul: { transposeA: 'bool', transposeB: 'bool' },
  biasAdd: {},
  channelAffine: {},
  relu: {},
  reluMask: {},
  binary: { op: binaryOps },
  scale: { alpha: 'number', beta: 'number' },
  conv2d: { stride: 'pair', padding: 'pair' },
  pool2d: { mode: poolModes, ...window },
  conv2dBackwardInput: { stride: 'pair', padding: 'pair', inputSize: 'pair' },
  conv2dBackwardFilter: { stride: 'pair', padding: 'pair', kernelSize: 'pair' },
  pool2dBackward: { mode: poolModes, ...window },
  moments: {},
  batchNormApply: { eps: 'number' },
  softmaxCrossEntropy: {},
  meanSquaredError: {},
  reduce: { op: reduceOps, outer: 'number', R: 'number', inner: 'number' },
  nodeStatistic: { statistic: nodeStatistics, threshold: 'number' },
  countAbove: { threshold: 'number' },
  sgdUpdate: { lr: 'number', momentum: 'number', weightDecay: 'number', dampening: 'number', nesterov: 'bool', firstStep: 'bool' },
  adamUpdate: {
    lr: 'number',
    beta1: 'number',
    beta2: 'number',
    eps: 'number',
    weightDecay: 'number',
    decoupled: 'bool',
    step: 'number',
  },
};

function fieldsOf(op: OpName): [string, AttrField][] {
  return Object.entries(attrLayouts[op]) as [string, AttrField][];
}

/** The encoded field names of an op in order (pairs become `name0`, `name1`): what the generated core constants name. */
export function encodedFieldNames(op: OpName): string[] {
  return fieldsOf(op).flatMap(([name, kind]) => (kind === 'pair' ? [`${name}0`, `${name}1`] : [name]));
}

export function encodeAttrs<K extends OpName>(op: K, attrs: AttrsOf<K>): number[] {
  const values: number[] = [];
  const record = attrs as Record<string, unknown>;
  for (const [name, kind] of fieldsOf(op)) {
    const value = record[name];
    if (kind === 'pair') {
      const [a, b] = typeof value === 'number' ? [value, value] : (value as [number, number]);
      values.push(a, b);
    } else if (kind === 'bool') {
      values.push(value ? 1 : 0);
    } else if (kind === 'number') {
      values.push(value as number);
    } else {
      const index = kind.indexOf(value as string);
      if (index < 0) throw new Error(`${op}: attribute '${name}' must be one of ${kind.join(', ')}, got ${String(value)}`);
      values.push(index);
    }
  }
  return values;
}

export function decodeAttrs<K extends OpName>(op: K, values: readonly number[]): AttrsOf<K> {
  const attrs: Record<string, unknown> = {};
  let i = 0;
  for (const [name, kind] of fieldsOf(op)) {
    if (kind === 'pair') {
      attrs[name] = [values[i], values[i + 1]];
      i += 2;
    } else if (kind === 'bool') attrs[name] = values[i++] !== 0;
    else if (kind === 'number') attrs[name] = values[i++];
    else attrs[name] = kind[values[i++]];
  }
  return attrs as AttrsOf<K>;
}
