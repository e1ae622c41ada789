// Host-side checks of a batch before it reaches the device: x's length, and the labels or targets the loss takes.
import { ShapeError } from '../errors.js';
import { formatShape } from '../tensor-meta.js';
import type { NetBlueprint } from './compile.js';
import type { Targets } from './net-types.js';

/** A checked batch: its sample count and its targets as the device takes them. */
export interface CheckedBatch {
  count: number;
  target: Int32Array | Float32Array;
  /** The class labels, when the targets were labels. */
  labels?: Int32Array;
}

/**
 * Checks x (batch * inputShape float32 values) and the targets on the host; returns the sample count and the targets
 * as the device takes them (int32 labels for cross-entropy, float32 values for mse, one-hot from labels).
 */
export function checkBatch(blueprint: NetBlueprint, op: string, x: Float32Array, targets?: Targets, batch?: number): CheckedBatch {
  const { features, inputShape } = blueprint;
  if (!(x instanceof Float32Array)) throw new ShapeError(op, `x must be a Float32Array, got ${typeNameOf(x)}`);
  if (batch !== undefined && x.length !== batch * features) {
    throw new ShapeError(op, `x has ${x.length} values, expected batch ${batch} x ${formatShape(inputShape)} = ${batch * features} values`);
  }
  if (x.length === 0 || x.length % features !== 0) {
    throw new ShapeError(
      op,
      `x has ${x.length} values, which is not a whole number of samples of ${formatShape(inputShape)} (${features} values each)`,
    );
  }
  const count = x.length / features;
  if (targets === undefined) return { count, target: new Int32Array(0) };
  const classes = blueprint.outputSize;
  const isLabels = targets instanceof Int32Array || blueprint.loss === 'cross-entropy' || Array.isArray(targets);
  if (blueprint.loss === 'mse' && targets instanceof Float32Array) {
    if (targets.length !== count * classes) {
      throw new ShapeError(
        op,
        `targets have ${targets.length} values, expected ${count} samples x ${formatShape(blueprint.outputShape)} = ${count * classes} (the model's output)`,
      );
    }
    return { count, target: targets };
  }
  if (!isLabels || !(targets instanceof Int32Array || targets instanceof Float32Array || Array.isArray(targets))) {
    throw new ShapeError(op, `labels must be an Int32Array of class indices, got ${typeNameOf(targets)}`);
  }
  if (targets.length !== count) {
    throw new ShapeError(op, `labels has ${targets.length} entries, expected one per sample (${count})`);
  }
  const labels = targets instanceof Int32Array ? targets : new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = targets[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      const why = Number.isInteger(label) ? `out of range [0, ${classes})` : 'not an integer class index';
      throw new ShapeError(op, `label ${label} at index ${i} is ${why}`);
    }
    labels[i] = label;
  }
  if (blueprint.loss === 'cross-entropy') return { count, target: labels, labels };
  const oneHot = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) oneHot[i * classes + labels[i]] = 1;
  return { count, target: oneHot, labels };
}

function typeNameOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return (value as object).constructor?.name ?? typeof value;
}
