// Turns a scheduled Program into prepared kernels on a backend once: one buffer per internal slot, bound external buffers.
import type { Backend, DeviceBuffer, PreparedKernel } from '../backend/backend.js';
import { EngineError } from '../errors.js';
import type { OpName } from '../ops/defs.js';
import { formatShape, sizeOf } from '../tensor-meta.js';
import type { GraphBuilder, NodeId, NodeInfo, Program, ValueId, ValueInfo } from './types.js';

/** A program together with what the executor needs to know about its values, kept after the graph is disposed. */
export interface ScheduledProgram {
  readonly program: Program;
  /** Every value that owns a slot of its own, and every value named when scheduling. */
  readonly values: ReadonlyMap<ValueId, ValueInfo>;
  /** The nodes named when scheduling (the ones a caller re-targets with Backend.update). */
  readonly nodes: ReadonlyMap<NodeId, NodeInfo>;
}

/**
 * Schedules `keep` and records the value and node information the executor and its caller need later, so the graph can
 * be disposed afterwards. `describe` lists extra values and nodes to record (those the caller binds or updates).
 */
export function scheduleProgram(
  g: GraphBuilder,
  keep: readonly ValueId[],
  describe: { values?: readonly ValueId[]; nodes?: readonly NodeId[] } = {},
): ScheduledProgram {
  const program = g.schedule(keep);
  const values = new Map<ValueId, ValueInfo>();
  for (const slot of program.slots) if (slot.value !== undefined) values.set(slot.value, g.value(slot.value));
  for (const id of [...keep, ...(describe.values ?? [])]) values.set(id, g.value(id));
  const nodes = new Map<NodeId, NodeInfo>();
  for (const id of describe.nodes ?? []) nodes.set(id, g.node(id));
  return { program, values, nodes };
}

/** A program bound to buffers: dispatch `kernels` any number of times; nothing is allocated per dispatch. */
export interface BoundProgram {
  /** The program's kernels in schedule order, ready for Backend.dispatch. */
  readonly kernels: readonly PreparedKernel[];
  /** The prepared kernel of a node (for Backend.update); throws when the node is not part of the program. */
  kernelOf(node: NodeId): PreparedKernel;
  /** Whether the program runs this node (nodes the kept values do not need are dropped by the schedule). */
  hasNode(node: NodeId): boolean;
  /** The buffer holding a value (an external one, or the slot's own); throws when the program has no slot for it. */
  bufferOf(value: ValueId): DeviceBuffer;
  /** Whether the program reads or writes this value. */
  hasValue(value: ValueId): boolean;
  /** Frees the kernels and every buffer the executor allocated; external buffers stay with their owners. */
  release(): void;
}

/** Values the caller must provide a buffer for: what is fed (inputs) or persists between runs (parameters, state). */
const EXTERNAL_KINDS = new Set<ValueInfo['kind']>(['input', 'parameter', 'state']);

/**
 * Prepares every step of `scheduled` on `backend`. Slots of inputs, parameters and state must be bound through
 * `external` (by value id); kept values may be (an optimizer writing into the other buffer of a ping-pong pair), else
 * they get a buffer of their own like every internal slot. Constant slots are filled once here.
 */
export function bindProgram(
  backend: Backend,
  scheduled: ScheduledProgram,
  external: ReadonlyMap<ValueId, DeviceBuffer>,
  label = 'program',
): BoundProgram {
  const { program, values } = scheduled;
  const slotBuffers: (DeviceBuffer | undefined)[] = new Array(program.slots.length).fill(undefined);
  const boundBy: (ValueId | undefined)[] = new Array(program.slots.length).fill(undefined);

  for (const [value, buffer] of external) {
    const slot = program.slotOf.get(value);
    if (slot === undefined) continue; // the program does not use this value
    const need = program.slots[slot].bytes;
    if (buffer.bytes < need) {
      const info = values.get(value);
      const what = info ? describeValue(info) : `value ${value}`;
      throw new EngineError(`${label}: the buffer bound to ${what} holds ${buffer.bytes} bytes, the program needs ${need}`);
    }
    const previous = boundBy[slot];
    if (previous !== undefined && slotBuffers[slot] !== buffer) {
      throw new EngineError(
        `${label}: ${describeOf(values, previous)} and ${describeOf(values, value)} share slot ${slot} but were bound to different buffers`,
      );
    }
    slotBuffers[slot] = buffer;
    boundBy[slot] = value;
  }

  const owned: DeviceBuffer[] = [];
  const kernels: PreparedKernel[] = [];
  const byNode = new Map<NodeId, PreparedKernel>();
  const release = (): void => {
    for (const kernel of kernels) kernel.release();
    for (const buffer of owned) backend.release(buffer);
    kernels.length = 0;
    owned.length = 0;
    byNode.clear();
  };

  try {
    program.slots.forEach((slot, index) => {
      if (slotBuffers[index]) return;
      const info = slot.value === undefined ? undefined : values.get(slot.value);
      if (info && EXTERNAL_KINDS.has(info.kind)) {
        throw new EngineError(`${label}: ${describeValue(info)} needs a buffer from the caller, none was bound`);
      }
      const buffer = backend.alloc(Math.max(4, slot.bytes));
      owned.push(buffer);
      slotBuffers[index] = buffer;
      if (info?.kind === 'constant') {
        const count = sizeOf(info.shape);
        const fill = info.fill ?? 0;
        backend.write(buffer, info.dtype === 'int32' ? new Int32Array(count).fill(fill) : new Float32Array(count).fill(fill));
      }
    });

    for (const step of program.steps) {
      const buffersOf = (slots: readonly number[]): DeviceBuffer[] => slots.map((slot) => slotBuffers[slot]!);
      const kernel = backend.prepare(step.op as OpName, buffersOf(step.inputs), buffersOf(step.outputs), step.dims);
      kernels.push(kernel);
      byNode.set(step.node, kernel);
    }
  } catch (error) {
    release();
    throw error;
  }

  return {
    kernels,
    kernelOf(node) {
      const kernel = byNode.get(node);
      if (!kernel) throw new EngineError(`${label}: node ${node} is not part of the program`);
      return kernel;
    },
    hasNode: (node) => byNode.has(node),
    bufferOf(value) {
      const slot = program.slotOf.get(value);
      if (slot === undefined) throw new EngineError(`${label}: ${describeOf(values, value)} has no buffer in the program`);
      return slotBuffers[slot]!;
    },
    hasValue: (value) => program.slotOf.has(value),
    release,
  };
}

function describeOf(values: ReadonlyMap<ValueId, ValueInfo>, id: ValueId): string {
  const info = values.get(id);
  return info ? describeValue(info) : `value ${id}`;
}

function describeValue(info: ValueInfo): string {
  const name = info.name ? ` '${info.name}'` : '';
  return `${info.kind}${name} ${formatShape(info.shape)} (value ${info.id})`;
}
