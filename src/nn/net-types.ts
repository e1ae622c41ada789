// The compiled net's public argument and result types: targets, parameters, losses with gradients, evaluations, activations.
import type { Shape } from '../tensor-meta.js';
import type { Tensor } from '../tensor.js';

/** Class labels (int32 indices) or, for the 'mse' loss, float targets of the output's shape (labels become one-hot). */
export type Targets = Int32Array | Float32Array | readonly number[];

export interface NetParameter {
  /** PyTorch's state_dict name, e.g. '0.weight'. */
  readonly name: string;
  readonly shape: Shape;
  /** Trainable parameters get gradients, optimizer updates and masks; buffers (running statistics) do not. */
  readonly trainable: boolean;
  /** Index of the layer that owns it. */
  readonly layer: number;
}

export interface LossAndGradients {
  loss: number;
  /** The gradient of every trainable parameter the loss depends on, by name. */
  grads: Record<string, Float32Array>;
}

export interface Evaluation {
  /** Mean loss over the samples (eval mode). */
  loss: number;
  /** Share of samples whose largest output is the label's (class labels only). */
  accuracy?: number;
  count: number;
}

/** One layer's output in a forward pass, kept on the device. */
export interface LayerActivation {
  readonly index: number;
  /** e.g. '3 (linear)'. */
  readonly label: string;
  readonly type: string;
  /** Whether the layer's output counts as a layer of nodes for emergence (see Layer.hasNodes). */
  readonly hasNodes: boolean;
  /** [batch, ...per-sample shape]; owned by the net (dispose() does nothing) and valid until the next activations() call. */
  readonly output: Tensor;
}

export interface Activations {
  /** The input batch as the device holds it. */
  readonly input: Tensor;
  readonly layers: readonly LayerActivation[];
}
