// The TypeScript side of the AssemblyScript autodiff core: loads build/wasm/autodiff.wasm and implements GraphBuilder.
import coreWasm from '../../build/wasm/autodiff.wasm';
import { EngineError, ShapeError } from '../errors.js';
import type { AttrsOf, InputName, OpName, OutputName, TensorMeta } from '../ops/defs.js';
import { opSpecs, type OpSpec } from '../ops/specs.js';
import { formatShape, sizeOf, type DType, type Shape } from '../tensor-meta.js';
import { decodeAttrs, encodeAttrs } from './attrs.js';
import type { GraphBuilder, NodeId, NodeInfo, Program, ProgramSlot, ProgramStep, ValueId, ValueInfo, ValueKind } from './types.js';

/** The core's exports (assembly/autodiff/index.ts); every argument and result is a number. */
interface CoreExports {
  memory: WebAssembly.Memory;
  stageInput(value: number): void;
  stageAttr(value: number): void;
  stageDim(dim: number): void;
  declareValue(kind: number, dtype: number): number;
  declareConstant(fill: number): number;
  node(op: number): number;
  view(source: number): number;
  setShape(value: number, dtype: number): void;
  setLabel(label: number): void;
  valueCount(): number;
  valueKindOf(value: number): number;
  valueDtypeOf(value: number): number;
  valueRank(value: number): number;
  valueDim(value: number, axis: number): number;
  valueFillOf(value: number): number;
  valueSource(value: number): number;
  valueProducerOf(value: number): number;
  nodeCount(): number;
  nodeOpOf(node: number): number;
  nodeInputCount(node: number): number;
  nodeInput(node: number, index: number): number;
  nodeOutputCount(node: number): number;
  nodeOutput(node: number, index: number): number;
  nodeAttrCount(node: number): number;
  nodeAttr(node: number, index: number): number;
  nodeLabelOf(node: number): number;
  nodeIsBackward(node: number): number;
  addSeed(value: number, gradient: number): void;
  addWrt(value: number): void;
  runBackward(): void;
  gradientOf(value: number): number;
  hasRule(op: number): number;
  addKeep(value: number): void;
  runSchedule(): void;
  stepCount(): number;
  stepNode(index: number): number;
  slotCount(): number;
  slotSize(slot: number): number;
  slotOwnerOf(slot: number): number;
  valueSlot(value: number): number;
}

/** Value kinds and dtypes in the order the core numbers them (assembly/autodiff/graph.ts). */
const valueKinds: readonly ValueKind[] = ['input', 'parameter', 'state', 'constant', 'node', 'view'];
const dtypes: readonly DType[] = ['float32', 'int32'];
/** Op codes: the order of opSpecs, as assembly/autodiff/ops.generated.ts was generated. */
const opNames = Object.keys(opSpecs) as OpName[];
const VIEW_OP = opNames.length;

let compiled: Promise<WebAssembly.Module> | undefined;

/** A fresh graph in its own instance of the core. */
export async function createGraph(): Promise<GraphBuilder> {
  compiled ??= WebAssembly.compile(coreWasm as BufferSource);
  const module = await compiled;
  const graph = new CoreGraph();
  const instance = await WebAssembly.instantiate(module, {
    env: { abort: (message: number, file: number, line: number, column: number) => graph.abort(message, file, line, column) },
    host: {
      infer: (node: number) => graph.infer(node),
      fail: (code: number, node: number, value: number) => graph.fail(code, node, value),
    },
  });
  graph.attach(instance.exports as unknown as CoreExports);
  return graph;
}

/** Whether the core's gradient table has a rule for op (tests compare it with src/autodiff/differentiable.ts). */
export async function coreHasRule(op: OpName): Promise<boolean> {
  const graph = (await createGraph()) as CoreGraph;
  try {
    return graph.exports.hasRule(opNames.indexOf(op)) !== 0;
  } finally {
    graph.dispose();
  }
}

class CoreGraph implements GraphBuilder {
  private core: CoreExports | undefined;
  private readonly labels: string[] = [''];
  private currentLabel = 0;
  private readonly names = new Map<ValueId, string>();
  private readonly nodes = new Map<NodeId, NodeInfo>();
  /** Set when an error escaped from inside the core: its state may be half-updated, so the graph is closed. */
  private broken: string | undefined;

  attach(core: CoreExports): void {
    this.core = core;
  }

  get exports(): CoreExports {
    if (!this.core) throw new EngineError('autodiff graph: used after dispose()');
    if (this.broken) throw new EngineError(`autodiff graph: unusable after an earlier error (${this.broken})`);
    return this.core;
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): ValueId {
    return this.declare('input', name, shape, dtype);
  }

  parameter(name: string, shape: Shape): ValueId {
    return this.declare('parameter', name, shape, 'float32');
  }

  state(name: string, shape: Shape): ValueId {
    return this.declare('state', name, shape, 'float32');
  }

  constant(shape: Shape, fill: number): ValueId {
    checkShape(shape, 'constant');
    return this.guard(() => {
      this.stageShape(shape);
      return this.exports.declareConstant(fill);
    });
  }

  op<K extends OpName>(op: K, inputs: Record<InputName<K>, ValueId>, attrs: AttrsOf<K>): Record<OutputName<K>, ValueId> {
    const spec = opSpecs[op] as OpSpec<K>;
    const core = this.exports;
    for (const name of spec.inputs) {
      const value = inputs[name];
      if (value === undefined) throw new EngineError(`${op}: input '${name}' is missing${this.where()}`);
      if (!Number.isInteger(value) || value < 0 || value >= core.valueCount()) {
        throw new EngineError(`${op}: input '${name}' is not a value of this graph (got ${String(value)})${this.where()}`);
      }
    }
    const encoded = encodeAttrs(op, attrs);
    const node = this.guard(() => {
      for (const name of spec.inputs) core.stageInput(inputs[name]);
      for (const value of encoded) core.stageAttr(value);
      return core.node(opNames.indexOf(op));
    });
    const outputs = {} as Record<OutputName<K>, ValueId>;
    spec.outputs.forEach((name, i) => (outputs[name] = core.nodeOutput(node, i)));
    return outputs;
  }

  reshape(x: ValueId, shape: Shape): ValueId {
    checkShape(shape, 'reshape');
    const from = this.value(x).shape;
    if (sizeOf(from) !== sizeOf(shape)) {
      throw new ShapeError('reshape', `cannot view ${sizeOf(from)} elements as ${formatShape(shape)}${this.where()}`, { x: from });
    }
    return this.guard(() => {
      this.stageShape(shape);
      return this.exports.view(x);
    });
  }

  withLabel<T>(label: string, fn: () => T): T {
    const previous = this.currentLabel;
    this.currentLabel = this.labels.push(label) - 1;
    this.exports.setLabel(this.currentLabel);
    try {
      return fn();
    } finally {
      this.currentLabel = previous;
      this.core?.setLabel(previous);
    }
  }

  value(id: ValueId): ValueInfo {
    const core = this.exports;
    if (!Number.isInteger(id) || id < 0 || id >= core.valueCount()) throw new EngineError(`autodiff graph: no value ${id}`);
    const kind = valueKinds[core.valueKindOf(id)];
    const shape = Array.from({ length: core.valueRank(id) }, (_, axis) => core.valueDim(id, axis));
    const info: ValueInfo = {
      id,
      kind,
      shape,
      dtype: dtypes[core.valueDtypeOf(id)],
      ...(this.names.has(id) ? { name: this.names.get(id) } : {}),
      ...(kind === 'constant' ? { fill: core.valueFillOf(id) } : {}),
      ...(kind === 'view' ? { viewOf: core.valueSource(id) } : {}),
      ...(core.valueProducerOf(id) >= 0 ? { producer: core.valueProducerOf(id) } : {}),
    };
    return info;
  }

  node(id: NodeId): NodeInfo {
    const info = this.nodes.get(id);
    if (!info) throw new EngineError(`autodiff graph: node ${id} is not a kernel node`);
    return info;
  }

  backward(seeds: ReadonlyArray<readonly [ValueId, ValueId]>, wrt: readonly ValueId[]): Map<ValueId, ValueId> {
    const core = this.exports;
    for (const [value, gradient] of seeds) {
      const a = this.value(value).shape;
      const b = this.value(gradient).shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        throw new ShapeError('backward', `a seed's gradient must have the shape of its value`, { value: a, gradient: b });
      }
    }
    this.guard(() => {
      for (const [value, gradient] of seeds) core.addSeed(value, gradient);
      for (const value of wrt) core.addWrt(value);
      core.runBackward();
    });
    const gradients = new Map<ValueId, ValueId>();
    for (const value of wrt) {
      const gradient = core.gradientOf(value);
      if (gradient >= 0) gradients.set(value, gradient);
    }
    return gradients;
  }

  schedule(keep: readonly ValueId[]): Program {
    const core = this.exports;
    for (const value of keep) this.value(value);
    this.guard(() => {
      for (const value of keep) core.addKeep(value);
      core.runSchedule();
    });
    const slots: ProgramSlot[] = Array.from({ length: core.slotCount() }, (_, slot) => {
      const owner = core.slotOwnerOf(slot);
      return owner >= 0 ? { bytes: core.slotSize(slot), value: owner } : { bytes: core.slotSize(slot) };
    });
    const slotOf = new Map<ValueId, number>();
    for (let value = 0; value < core.valueCount(); value++) {
      const slot = core.valueSlot(value);
      if (slot >= 0) slotOf.set(value, slot);
    }
    const steps: ProgramStep[] = Array.from({ length: core.stepCount() }, (_, index) => {
      const info = this.node(core.stepNode(index));
      return {
        node: info.id,
        op: info.op,
        attrs: info.attrs,
        dims: info.dims,
        inputs: info.inputs.map((v) => slotOf.get(v)!),
        outputs: info.outputs.map((v) => slotOf.get(v)!),
        label: info.label,
      };
    });
    return { slots, steps, slotOf };
  }

  dispose(): void {
    this.core = undefined;
  }

  // ---- Called from inside the core ----

  infer(node: number): void {
    const core = this.core!;
    const op = opNames[core.nodeOpOf(node)];
    const spec = opSpecs[op] as OpSpec<OpName>;
    const inputs = Array.from({ length: core.nodeInputCount(node) }, (_, i) => core.nodeInput(node, i));
    const outputs = Array.from({ length: core.nodeOutputCount(node) }, (_, i) => core.nodeOutput(node, i));
    const attrs = decodeAttrs(
      op,
      Array.from({ length: core.nodeAttrCount(node) }, (_, i) => core.nodeAttr(node, i)),
    );
    const label = this.describeLabel(core.nodeLabelOf(node), core.nodeIsBackward(node) !== 0);
    const metas: Record<string, TensorMeta> = {};
    spec.inputs.forEach((name, i) => {
      const info = this.value(inputs[i]);
      const expected = (spec.inputTypes as Record<string, DType>)[name];
      if (info.dtype !== expected) {
        throw this.closeWith(new ShapeError(op, `input '${name}' must be ${expected}, got ${info.dtype}${label ? ` (in ${label})` : ''}`));
      }
      metas[name] = { shape: info.shape, dtype: info.dtype };
    });
    let inferred;
    try {
      inferred = spec.infer(metas as never, attrs as never);
    } catch (error) {
      if (error instanceof Error && label) error.message += ` (in ${label})`;
      throw this.closeWith(error);
    }
    spec.outputs.forEach((name, i) => {
      const meta = (inferred.outputs as Record<string, TensorMeta>)[name];
      this.stageShape(meta.shape);
      core.setShape(outputs[i], dtypes.indexOf(meta.dtype));
    });
    this.nodes.set(node, { id: node, op, attrs, dims: inferred.dims, inputs, outputs, label });
  }

  fail(code: number, node: number, value: number): never {
    const core = this.core!;
    const op = node >= 0 ? (core.nodeOpOf(node) === VIEW_OP ? 'view' : opNames[core.nodeOpOf(node)]) : 'autodiff';
    const label = node >= 0 ? this.describeLabel(core.nodeLabelOf(node), false) : '';
    const at = label ? ` (in ${label})` : '';
    const messages: Record<number, string> = {
      1: `no gradient rule: '${op}' is not differentiable, but the loss depends on a parameter through it${at}`,
      2: `batchNormApply's mean and variance need gradients but are not moments() of the same input${at}`,
      3: `a gradient reached the outputs of the loss op '${op}'${at}: seed the reverse pass with its 'grad' output instead`,
      4: `a max reduction has no gradient rule${at}`,
      5: `cannot view value ${value} ${value >= 0 ? formatShape(this.value(value).shape) : ''} with a shape of another size`,
      6: `moments() outputs got a gradient other than through batchNormApply of the same input${at}`,
      7: `a seed's gradient must have the shape of the value it seeds (value ${value})`,
    };
    throw this.closeWith(new EngineError(`autodiff: ${messages[code] ?? `error ${code}`}`));
  }

  abort(message: number, file: number, line: number, column: number): never {
    const memory = this.core?.memory;
    const text = memory ? `${readString(memory, message)} at ${readString(memory, file)}:${line}:${column}` : 'abort';
    throw this.closeWith(new EngineError(`autodiff core: ${text}`));
  }

  // ---- Helpers ----

  private declare(kind: 'input' | 'parameter' | 'state', name: string, shape: Shape, dtype: DType): ValueId {
    checkShape(shape, `${kind} '${name}'`);
    const id = this.guard(() => {
      this.stageShape(shape);
      return this.exports.declareValue(valueKinds.indexOf(kind), dtypes.indexOf(dtype));
    });
    this.names.set(id, name);
    return id;
  }

  private stageShape(shape: Shape): void {
    for (const d of shape) this.core!.stageDim(d);
  }

  private describeLabel(label: number, backward: boolean): string {
    const name = this.labels[label] ?? '';
    return name && backward ? `${name}, reverse pass` : name;
  }

  private where(): string {
    const label = this.labels[this.currentLabel];
    return label ? ` (in ${label})` : '';
  }

  /** Runs a call into the core; an exception escaping from it closes the graph. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.closeWith(error);
    }
  }

  private closeWith(error: unknown): unknown {
    this.broken ??= error instanceof Error ? error.message : String(error);
    return error;
  }
}

function checkShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError('autodiff graph', `${what}: shape must be a list of positive integers, got ${JSON.stringify(shape)}`);
  }
}

/** An AssemblyScript string: UTF-16 code units, byte length stored just before the pointer. */
function readString(memory: WebAssembly.Memory, pointer: number): string {
  if (!pointer) return '';
  const bytes = new Uint32Array(memory.buffer, pointer - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, pointer, bytes >>> 1));
}
