// The device side of a training step: the staged batch, the optimizer's per-step dims, the block's checkpoint, the loss copy.
import type { Backend, PreparedKernel } from '../backend/backend.js';
import type { BatchRing } from './batch-ring.js';
import type { Checkpoints } from './checkpoints.js';
import type { LossRing } from './loss-ring.js';
import type { OptimizerDims } from './optimizer-dims.js';
import type { CachedProgram, ProgramCache } from './programs.js';
import type { ResolvedGroup } from './types.js';

export class TrainStep {
  /** The kernels of one step, refilled per step (nothing allocated per step). */
  private readonly dispatchList: PreparedKernel[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly programs: ProgramCache,
    private readonly program: CachedProgram,
    /** The optimizer groups, whose current settings each step runs with. */
    private readonly groups: ResolvedGroup[],
    private readonly dims: OptimizerDims,
    readonly lossRing: LossRing,
    readonly batches: BatchRing,
    /** Undefined when the net was compiled without checkpoints. */
    readonly checkpoints: Checkpoints | undefined,
  ) {}

  /**
   * Dispatches step i (0-based) on its staged batch: its block's checkpoint first when it starts one, then the train
   * program on the buffers of phase i % 2, then the copy of its loss into the ring.
   */
  dispatch(i: number): void {
    const phase = i % 2;
    const train = this.program;
    const bound = this.programs.bind(train, phase);
    this.backend.write(train.x, this.batches.xOf(i));
    this.backend.write(train.target!, this.batches.targetOf(i));
    this.dims.apply(bound, phase, i + 1);
    const list = this.dispatchList;
    list.length = 0;
    this.checkpoints?.takeAtBlockStart(i, phase, list);
    this.batches.recordSettings(i, this.groups);
    for (const kernel of bound.kernels) list.push(kernel);
    list.push(this.lossRing.copyOf(i));
    this.backend.dispatch(list);
  }

  /** Runs steps [from, to) again on their staged batches with the settings each ran with; the current settings stay. */
  replay(from: number, to: number): void {
    const groups = this.groups;
    const settings = groups.map((group) => ({ ...group }));
    try {
      for (let i = from; i < to; i++) {
        const phase = i % 2;
        this.backend.write(this.program.x, this.batches.xOf(i));
        this.backend.write(this.program.target!, this.batches.targetOf(i));
        this.batches.settingsOf(i).forEach((recorded, g) => Object.assign(groups[g], recorded));
        const bound = this.programs.bind(this.program, phase);
        this.dims.apply(bound, phase, i + 1);
        this.backend.dispatch(bound.kernels);
      }
    } finally {
      settings.forEach((current, g) => Object.assign(groups[g], current));
    }
  }
}
