// Layer-wise learning rates from gradient norms at initialization (EMERGENCE.md section 5, seed 1 "On learning rates").
import { Dataset } from '../data/dataset.js';
import { EngineError } from '../errors.js';
import { describeValue } from '../nn/layers/common.js';
import type { Net, Targets } from '../nn/net.js';
import type { ParameterGroup } from '../nn/types.js';
import { weightLayers } from './init.js';

/** A batch to measure gradients on: inputs (any number of samples) and their targets. */
export interface GradientBatch {
  x: Float32Array;
  targets: Targets;
}

export interface LayerRateOptions {
  /** The base learning rate: the layer rates average (arithmetic mean) to it. */
  lr: number;
  /** With a Dataset: how many batches of net.batchSize to measure on (default 4), taken from its start, unshuffled. */
  batches?: number;
}

/** One weight layer's measurement and rate. */
export interface LayerRate {
  /** The weight's state_dict name, e.g. '0.weight'. */
  name: string;
  /** The weight and its bias: the parameters of this layer's optimizer group. */
  params: string[];
  /** Mean over the batches of ||dL/dW_l||^2 (the weight's gradient; the bias is not part of the norm). */
  meanSquaredNorm: number;
  /** sqrt(meanSquaredNorm). */
  rmsNorm: number;
  lr: number;
}

export interface LayerRates {
  /** One group per weight layer (its bias with it), in net order: engine.compile's optimizer.groups. */
  groups: ParameterGroup[];
  layers: LayerRate[];
  lr: number;
  /** Batches measured and the mean loss over them. */
  batches: number;
  loss: number;
  /** One line naming the rule. */
  rule: string;
}

/**
 * Measures each weight layer's gradient at the net's current (initial) weights over a few batches and gives it the
 * learning rate eta_l = c / sqrt(E[||grad_l L||^2]), with c chosen so that the rates average to `lr`. Gradients come
 * from net.lossAndGradients (train mode; batch norm's running statistics unchanged). Parameters outside the weight
 * layers (batch norm's weight and bias) belong to no group, so they train at the optimizer's top-level rate.
 */
export async function layerLearningRates(
  net: Net,
  data: Dataset | readonly GradientBatch[],
  options: LayerRateOptions,
): Promise<LayerRates> {
  const op = 'emergence.layerLearningRates';
  if (typeof options !== 'object' || options === null) throw new EngineError(`${op}: options must be an object like { lr: 1e-3 }`);
  for (const key of Object.keys(options)) {
    if (key !== 'lr' && key !== 'batches') throw new EngineError(`${op}: unknown option '${key}' (options: lr, batches)`);
  }
  const { lr, batches: batchCount = 4 } = options;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0))
    throw new EngineError(`${op}: lr must be a positive finite number, got ${describeValue(lr)}`);
  if (!Number.isSafeInteger(batchCount) || batchCount < 1) {
    throw new EngineError(`${op}: batches must be a positive integer, got ${describeValue(batchCount)}`);
  }
  const batches: GradientBatch[] = [];
  if (data instanceof Dataset) {
    for (const batch of data.batches(net.batchSize, { dropLast: true })) {
      if (batches.length === batchCount) break;
      batches.push({ x: batch.inputs, targets: batch.labels });
    }
    if (batches.length === 0)
      throw new EngineError(`${op}: ${data.name} ${data.split} holds fewer than one batch of ${net.batchSize} samples`);
  } else if (Array.isArray(data) && data.length > 0) {
    batches.push(...data);
  } else {
    throw new EngineError(`${op}: data must be a Dataset or a non-empty array of { x, targets } batches, got ${describeValue(data)}`);
  }

  const layers = weightLayers(net);
  if (layers.length === 0) throw new EngineError(`${op}: the net has no linear or conv weight`);
  const sums = new Float64Array(layers.length);
  let lossSum = 0;
  for (const batch of batches) {
    const { loss, grads } = await net.lossAndGradients(batch.x, batch.targets);
    lossSum += loss;
    layers.forEach((layer, i) => {
      const grad = grads[layer.weight];
      let squared = 0;
      for (let j = 0; j < grad.length; j++) squared += grad[j] * grad[j];
      sums[i] += squared;
    });
  }
  const meanSquared = Array.from(sums, (sum) => sum / batches.length);
  const dead = meanSquared.findIndex((s) => !(s > 0 && Number.isFinite(s)));
  if (dead >= 0) {
    throw new EngineError(
      `${op}: the gradient of '${layers[dead].weight}' has mean squared norm ${meanSquared[dead]} over ${batches.length} batches, ` +
        `so 1/sqrt of it gives no finite learning rate`,
    );
  }
  const inverse = meanSquared.map((s) => 1 / Math.sqrt(s));
  const scale = (lr * layers.length) / inverse.reduce((a, b) => a + b, 0);
  const rates = layers.map((layer, i): LayerRate => {
    const params = layer.bias ? [layer.weight, layer.bias] : [layer.weight];
    return { name: layer.weight, params, meanSquaredNorm: meanSquared[i], rmsNorm: Math.sqrt(meanSquared[i]), lr: scale * inverse[i] };
  });
  return {
    groups: rates.map((rate) => ({ params: rate.params, lr: rate.lr })),
    layers: rates,
    lr,
    batches: batches.length,
    loss: lossSum / batches.length,
    rule: `lr_l = c / sqrt(mean over ${batches.length} batches of ||dL/dW_l||^2), c so that the ${layers.length} rates average to ${lr}`,
  };
}

/**
 * Sets each layer's rate on a net whose optimizer has one group per weight layer (for example compiled with
 * optimizer.groups = rates.groups): the group holding a layer's weight gets that layer's rate (net.setLearningRate).
 * Throws when a layer's weight is in no group or its group holds parameters of other layers.
 */
export function applyLayerLearningRates(net: Net, rates: Pick<LayerRates, 'layers'>): void {
  const op = 'emergence.applyLayerLearningRates';
  const groups = net.optimizerGroups;
  const assignments = rates.layers.map((layer) => {
    const group = groups.findIndex((g) => g.params.includes(layer.name));
    if (group < 0)
      throw new EngineError(`${op}: '${layer.name}' is in no optimizer group of the net (compile it with optimizer.groups = rates.groups)`);
    const strangers = groups[group].params.filter((param) => !layer.params.includes(param));
    if (strangers.length > 0) {
      throw new EngineError(
        `${op}: the optimizer group of '${layer.name}' (group ${group}) also holds ${strangers.map((p) => `'${p}'`).join(', ')}; ` +
          `each layer needs a group of its own (compile with optimizer.groups = rates.groups)`,
      );
    }
    return { group, lr: layer.lr };
  });
  for (const { group, lr } of assignments) net.setLearningRate(lr, group);
}
