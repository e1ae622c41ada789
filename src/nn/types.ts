// The contracts between layer definitions, losses, optimizers and the compiled net that executes them.
import type { GraphBuilder, NodeId, ValueId } from '../autodiff/types.js';
import type { AttrsOf } from '../ops/defs.js';
import type { Random } from '../random.js';
import type { Shape } from '../tensor-meta.js';

export type Mode = 'train' | 'eval';

/** A tensor a layer owns, named as in PyTorch's state_dict without the layer prefix ('weight', 'running_mean'). */
export interface ParameterSpec {
  readonly name: string;
  readonly shape: Shape;
  /** Trainable parameters get gradients and optimizer updates; buffers (running statistics) do not. */
  readonly trainable: boolean;
  /** 'weight' of linear/conv layers: what the compile-time `init` option replaces; 'bias' likewise; 'other' is kept. */
  readonly role: 'weight' | 'bias' | 'other';
  /** PyTorch's default initial values, drawn from the seeded generator (identical on every backend and runtime). */
  init(rng: Random): Float32Array;
}

export interface LayerForward {
  readonly output: ValueId;
  /** Train mode: new values for state buffers (batch norm's running statistics), by local name. */
  readonly stateUpdates?: Readonly<Record<string, ValueId>>;
}

/** One layer of a Sequential: knows its parameters, its output shape and how to emit its forward nodes. */
export interface Layer {
  /** 'linear', 'conv2d', 'relu', 'maxPool2d', 'avgPool2d', 'batchNorm2d', 'flatten', ... */
  readonly type: string;
  /** PyTorch's repr of the equivalent module, e.g. 'Linear(in_features=784, out_features=512, bias=True)'. */
  describe(): string;
  /** Per-sample output shape for a per-sample input shape; throws ShapeError naming the layer when it does not fit. */
  outputShape(input: Shape): Shape;
  /** The layer's parameters and buffers for a per-sample input shape, in PyTorch's state_dict order. */
  parameters(input: Shape): ParameterSpec[];
  /** Emits the forward nodes (x has the batch dimension first); params maps local names to graph values. */
  forward(g: GraphBuilder, x: ValueId, params: Readonly<Record<string, ValueId>>, mode: Mode): LayerForward;
  /** Whether the layer's output counts as a layer of nodes for emergence (linear, conv2d; their activations after ReLU). */
  readonly hasNodes: boolean;
  /**
   * Int64 scalar buffers of PyTorch's state_dict that are no graph tensor (batch norm's 'num_batches_tracked'), which
   * follow parameters() in state_dict order: the net counts each on the host (+1 per train-mode step, 0 at first) and
   * saves it as an I64 tensor of shape [] so that PyTorch's load_state_dict(strict=True) accepts the file.
   */
  readonly counters?: readonly string[];
}

export interface Sequential {
  readonly layers: readonly Layer[];
  describe(): string;
}

export type LossName = 'cross-entropy' | 'mse';

export interface LossGraph {
  /** The mean loss over the batch, shape [1]. */
  readonly loss: ValueId;
  /** Per-sample losses, shape [N]. */
  readonly losses: ValueId;
  /** The gradient of `loss` with respect to the model output: [output, gradient value] for GraphBuilder.backward. */
  readonly seed: readonly [ValueId, ValueId];
}

/** Weight initialization chosen at compile time; 'pytorch' keeps each layer's default (kaiming_uniform with a=√5). */
export type InitName = 'pytorch' | 'kaiming-normal' | 'kaiming-uniform' | 'xavier-normal' | 'xavier-uniform';

export interface InitOptions {
  name: InitName;
  /** Kaiming: 'fan_in' (default) or 'fan_out'. */
  mode?: 'fan_in' | 'fan_out';
  /** Kaiming: default 'relu'. */
  nonlinearity?: 'relu' | 'linear' | 'leaky_relu';
  /** Kaiming with leaky_relu: the negative slope. */
  negativeSlope?: number;
  /** Xavier: default 1. */
  gain?: number;
  /** Biases: 'zeros' (default for every name but 'pytorch') or 'pytorch' (uniform ±1/√fan_in). */
  bias?: 'zeros' | 'pytorch';
}

/** Settings a parameter group may override (PyTorch's param_groups). */
export interface GroupSettings {
  lr?: number;
  weightDecay?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface ParameterGroup extends GroupSettings {
  /** Parameter names ('0.weight'), a pattern over them, or a predicate. A parameter joins the first group that claims it. */
  params: readonly string[] | RegExp | ((name: string) => boolean);
}

export interface OptimizerOptions extends GroupSettings {
  name: 'sgd' | 'adam' | 'adamw';
  lr: number;
  /** Groups with their own settings; parameters no group claims use the top-level settings. */
  groups?: readonly ParameterGroup[];
}

/** One parameter's update node, as the optimizer emitted it. */
export interface ParameterUpdate {
  readonly param: string;
  /** The sgdUpdate or adamUpdate node. */
  readonly node: NodeId;
  /** Index of the group it belongs to (groups in the order given, then the default group last). */
  readonly group: number;
  readonly newParam: ValueId;
  /** Optimizer state by name ('momentum_buffer', or 'exp_avg' and 'exp_avg_sq'): the value read and the value written. */
  readonly state: Readonly<Record<string, { read: ValueId; written: ValueId }>>;
  /** The node's attributes for the 1-based step about to be taken, with the group's current settings. */
  attrsAt(step: number): AttrsOf<'sgdUpdate'> | AttrsOf<'adamUpdate'>;
}

/** The resolved groups, mutable between steps (learning-rate schedules, layer-wise rates). */
export interface ResolvedGroup extends Required<GroupSettings> {
  readonly params: readonly string[];
}
