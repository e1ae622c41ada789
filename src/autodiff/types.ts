// The contracts between graph builders (layers, losses, optimizers), the AssemblyScript autodiff core and the executor.
import type { AttrsOf, DimsOf, InputName, OpName, OutputName } from '../ops/defs.js';
import type { DType, Shape } from '../tensor-meta.js';

/** A value of the graph: an input, a parameter, persistent state, a constant, an op output or a view of one. */
export type ValueId = number;

/** A node of the graph: one primitive op applied to values. */
export type NodeId = number;

/**
 * - input: fed by the caller before each run (a batch of x, labels);
 * - parameter: trainable, persistent, owned by the net;
 * - state: persistent but not trained (batch-norm running statistics, optimizer moments, pruning masks);
 * - constant: filled once with one value when the program is set up;
 * - node: written by an op; view: the same storage as another value under another shape.
 */
export type ValueKind = 'input' | 'parameter' | 'state' | 'constant' | 'node' | 'view';

export interface ValueInfo {
  readonly id: ValueId;
  readonly kind: ValueKind;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Inputs, parameters and state: the name given when it was declared. */
  readonly name?: string;
  /** Constants: the value every element holds. */
  readonly fill?: number;
  /** Views: the value whose storage this one shares. */
  readonly viewOf?: ValueId;
  /** Op outputs: the node that writes it. */
  readonly producer?: NodeId;
}

export interface NodeInfo<K extends OpName = OpName> {
  readonly id: NodeId;
  readonly op: K;
  readonly attrs: AttrsOf<K>;
  readonly dims: DimsOf<K>;
  /** Input values in the op's declared input order (opSpecs[op].inputs). */
  readonly inputs: readonly ValueId[];
  /** Output values in the op's declared output order. */
  readonly outputs: readonly ValueId[];
  /** The layer (or loss, or optimizer) that added it, e.g. '3 (linear)'; gradient nodes carry their forward node's label. */
  readonly label: string;
}

/** Builds a graph of primitive ops in the AssemblyScript core; shapes come from src/ops/specs.ts as nodes are added. */
export interface GraphBuilder {
  input(name: string, shape: Shape, dtype?: DType): ValueId;
  parameter(name: string, shape: Shape): ValueId;
  state(name: string, shape: Shape): ValueId;
  constant(shape: Shape, fill: number): ValueId;
  /** Adds a node; throws ShapeError (naming the op, tensors and the current label) when the shapes do not fit. */
  op<K extends OpName>(op: K, inputs: Record<InputName<K>, ValueId>, attrs: AttrsOf<K>): Record<OutputName<K>, ValueId>;
  /** A view of x with another shape of the same size (flatten, reshape); costs nothing at run time. */
  reshape(x: ValueId, shape: Shape): ValueId;
  /** Runs fn with every node it adds labelled `label` (layers label their nodes with their state_dict prefix). */
  withLabel<T>(label: string, fn: () => T): T;
  value(id: ValueId): ValueInfo;
  node(id: NodeId): NodeInfo;
  /**
   * Appends the reverse pass. Each seed says "the gradient of the loss with respect to value v is the value g" (for
   * softmax cross-entropy, the op's own `grad` output). Returns the gradient value of every `wrt` value that the seeds
   * reach (a parameter the loss does not depend on is absent). Gradients of a value used twice are summed.
   */
  backward(seeds: ReadonlyArray<readonly [ValueId, ValueId]>, wrt: readonly ValueId[]): Map<ValueId, ValueId>;
  /**
   * Orders the nodes that the `keep` values need (others are dropped), computes each value's lifetime and assigns
   * buffer slots, reusing a slot once its value is dead. Inputs, parameters, state, constants and `keep` values get
   * slots of their own that nothing else uses.
   */
  schedule(keep: readonly ValueId[]): Program;
  /** Frees the core's memory for this graph. */
  dispose(): void;
}

/** One buffer of a program. */
export interface ProgramSlot {
  readonly bytes: number;
  /** Set when the slot belongs to one value for the whole program (input, parameter, state, constant or kept). */
  readonly value?: ValueId;
}

/** One kernel launch of a program. */
export interface ProgramStep {
  readonly node: NodeId;
  readonly op: OpName;
  readonly attrs: AttrsOf<OpName>;
  readonly dims: DimsOf<OpName>;
  /** Slot indices in the op's declared input and output order. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly label: string;
}

/** A scheduled graph: what the executor turns into prepared kernels once and dispatches any number of times. */
export interface Program {
  readonly slots: readonly ProgramSlot[];
  readonly steps: readonly ProgramStep[];
  /** Slot of every value the program reads or writes (a view has its source's slot). */
  readonly slotOf: ReadonlyMap<ValueId, number>;
}
