// Per-step optimizer attributes: re-targets each phase's sgdUpdate/adamUpdate kernels where a step's attributes change their dims.
import type { Backend, PreparedKernel } from '../backend/backend.js';
import type { BoundProgram, ScheduledProgram } from '../autodiff/execute.js';
import { EngineError } from '../errors.js';
import type { DimsOf, TensorMeta } from '../ops/defs.js';
import { opSpecs } from '../ops/specs.js';
import type { Shape } from '../tensor-meta.js';
import type { ParameterUpdate } from './types.js';

type OptimizerOp = 'sgdUpdate' | 'adamUpdate';

/** An optimizer node and what it needs to recompute its dims per step. */
interface OptimizerNode {
  readonly update: ParameterUpdate;
  readonly op: OptimizerOp;
  readonly shape: Shape;
  /** The dims each phase's kernel holds now (at first the scheduled dims, which binding prepares it with). */
  readonly current: [DimsOf<OptimizerOp>, DimsOf<OptimizerOp>];
}

export class OptimizerDims {
  private readonly nodes: OptimizerNode[] = [];

  constructor(private readonly backend: Backend) {}

  /** Tracks the optimizer node of one parameter update of the scheduled train program. */
  add(update: ParameterUpdate, scheduled: ScheduledProgram, shape: Shape): void {
    const node = scheduled.nodes.get(update.node);
    if (!node || (node.op !== 'sgdUpdate' && node.op !== 'adamUpdate')) {
      throw new EngineError(`compile: the optimizer node of '${update.param}' is not an sgdUpdate or adamUpdate node`);
    }
    const dims = node.dims as DimsOf<OptimizerOp>;
    this.nodes.push({ update, op: node.op, shape, current: [dims, dims] });
  }

  /** Re-targets each optimizer kernel of one phase's bound train program at the attributes of the given 1-based step, where they changed. */
  apply(bound: BoundProgram, phase: number, step: number): void {
    for (const node of this.nodes) {
      const meta: TensorMeta = { shape: node.shape, dtype: 'float32' };
      const metas = { param: meta, grad: meta, velocity: meta, m: meta, v: meta, mask: meta };
      const infer = opSpecs[node.op].infer as (inputs: typeof metas, attrs: object) => { dims: DimsOf<OptimizerOp> };
      const { dims } = infer(metas, node.update.attrsAt(step));
      if (sameDims(node.current[phase], dims)) continue;
      this.backend.update<OptimizerOp>(bound.kernelOf(node.update.node) as PreparedKernel<OptimizerOp>, dims);
      node.current[phase] = dims;
    }
  }
}

function sameDims(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of Object.keys(left)) if (left[key] !== right[key]) return false;
  return true;
}
