// nn.sequential: layers applied in order, with PyTorch's repr, per-layer shapes and state_dict names ('0.weight', ...).
import { EngineError, ShapeError } from '../errors.js';
import type { Shape } from '../tensor-meta.js';
import { describeValue } from './layers/common.js';
import type { Layer, ParameterSpec, Sequential } from './types.js';

export class SequentialModel implements Sequential {
  constructor(readonly layers: readonly Layer[]) {}

  /** PyTorch's repr of the equivalent nn.Sequential. */
  describe(): string {
    if (this.layers.length === 0) return 'Sequential()';
    const lines = this.layers.map((layer, i) => `  (${i}): ${layer.describe().split('\n').join('\n  ')}`);
    return `Sequential(\n${lines.join('\n')}\n)`;
  }
}

/** nn.sequential(...layers): applies the layers in order; layer i's tensors are named `${i}.weight` and so on. */
export function sequential(...layers: Layer[]): SequentialModel {
  layers.forEach((layer, i) => {
    if (!isLayer(layer)) {
      const hint = typeof layer === 'function' ? ' (a builder that was not called? write nn.relu(), not nn.relu)' : '';
      throw new EngineError(`nn.sequential: argument ${i} is not a layer${hint}, got ${describeValue(layer)}`);
    }
  });
  return new SequentialModel(layers);
}

function isLayer(value: unknown): value is Layer {
  if (typeof value !== 'object' || value === null) return false;
  const layer = value as Record<string, unknown>;
  return ['describe', 'outputShape', 'parameters', 'forward'].every((method) => typeof layer[method] === 'function');
}

/**
 * The per-sample shape entering each layer, then the model's output shape (layers.length + 1 shapes). A layer that
 * does not fit its input throws a ShapeError that names its index and the builder call, e.g.
 * "layer 3, nn.linear(784, 512): expects per-sample input [784]; add nn.flatten() before it ... (got input [3, 32, 32])".
 */
export function layerShapes(model: Sequential, inputShape: Shape): Shape[] {
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new EngineError(
      `nn.sequential: the per-sample input shape must be a non-empty array of positive integers, got ${describeValue(inputShape)}`,
    );
  }
  const shapes: Shape[] = [inputShape];
  model.layers.forEach((layer, i) => {
    try {
      shapes.push(layer.outputShape(shapes[i]));
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      const detail = error.message.startsWith(`${error.op}: `) ? error.message.slice(error.op.length + 2) : error.message;
      throw new ShapeError(`layer ${i}, ${error.op}`, detail);
    }
  });
  return shapes;
}

/** One tensor of a Sequential's state_dict. */
export interface NamedParameter {
  /** The state_dict name, e.g. '0.weight'. */
  readonly name: string;
  /** Index of the layer that owns it. */
  readonly layer: number;
  readonly spec: ParameterSpec;
}

/** Every parameter and float buffer of the model, in PyTorch's state_dict order (int64 counters excluded). */
export function namedParameters(model: Sequential, inputShape: Shape): NamedParameter[] {
  const shapes = layerShapes(model, inputShape);
  return model.layers.flatMap((layer, i) => layer.parameters(shapes[i]).map((spec) => ({ name: `${i}.${spec.name}`, layer: i, spec })));
}

/** The state_dict names of the layers' int64 counters ('1.num_batches_tracked'), in order; see Layer.counters. */
export function counterNames(model: Sequential): string[] {
  return model.layers.flatMap((layer, i) => (layer.counters ?? []).map((name) => `${i}.${name}`));
}
