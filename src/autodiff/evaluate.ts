// Runs a scheduled program on the host with the TypeScript reference kernels: the oracle for programs on any backend.
import type { OpName } from '../ops/defs.js';
import { referenceKernels } from '../reference/index.js';
import type { HostArray, ReferenceKernel } from '../reference/table.js';
import { sizeOf } from '../tensor-meta.js';
import type { GraphBuilder, Program, ValueId, ValueInfo } from './types.js';

/**
 * Executes `program` step by step through its buffer slots (so a slot shared by two values is really shared, as on a
 * device), with `feeds` giving the inputs, parameters and state. Returns the contents of every value in `read`.
 */
export function evaluateProgram(
  graph: GraphBuilder,
  program: Program,
  feeds: ReadonlyMap<ValueId, HostArray>,
  read: readonly ValueId[],
): Map<ValueId, HostArray> {
  const slots = program.slots.map((slot) => new ArrayBuffer(slot.bytes));
  const view = (info: ValueInfo): HostArray => {
    const slot = program.slotOf.get(info.id);
    if (slot === undefined) throw new Error(`evaluateProgram: value ${info.id} is not in the program`);
    const length = sizeOf(info.shape);
    return info.dtype === 'int32' ? new Int32Array(slots[slot], 0, length) : new Float32Array(slots[slot], 0, length);
  };
  program.slots.forEach((slot) => {
    if (slot.value === undefined) return;
    const info = graph.value(slot.value);
    if (info.kind === 'constant') (view(info) as Float32Array).fill(info.fill ?? 0);
  });
  for (const [value, data] of feeds) {
    if (!program.slotOf.has(value)) continue;
    const target = view(graph.value(value));
    if (target.length !== data.length) {
      throw new Error(`evaluateProgram: feed for value ${value} has ${data.length} elements, expected ${target.length}`);
    }
    target.set(data as never);
  }
  for (const step of program.steps) {
    const node = graph.node(step.node);
    const kernel = referenceKernels[node.op] as ReferenceKernel<OpName>;
    const inputs = node.inputs.map((value) => copy(view(graph.value(value))));
    const outputs = kernel(inputs, node.dims);
    node.outputs.forEach((value, i) => view(graph.value(value)).set(outputs[i] as never));
  }
  return new Map(read.map((value) => [value, copy(view(graph.value(value)))]));
}

function copy(array: HostArray): HostArray {
  return array instanceof Int32Array ? Int32Array.from(array) : Float32Array.from(array);
}
