// The loss ring: each train step's loss is copied into one of lossBlock device slots, and a block is read back at once.
import type { Backend, DeviceBuffer, PreparedKernel } from '../backend/backend.js';
import type { NetState } from './net-state.js';

export class LossRing {
  /** The train program's loss (one float32), copied into the ring after each step. */
  readonly output: DeviceBuffer;
  private readonly ring: DeviceBuffer;
  private readonly copies: PreparedKernel[] = [];

  /** Allocates the ring and prepares one copy per slot, all owned by the state (freed with the net). */
  constructor(
    private readonly backend: Backend,
    state: NetState,
    private readonly lossBlock: number,
  ) {
    this.output = state.allocate(4);
    this.ring = state.allocate(4 * lossBlock);
    for (let k = 0; k < lossBlock; k++) this.copies.push(state.own(backend.prepareCopy(this.output, 0, this.ring, 4 * k, 4)));
  }

  /** The copy of step i's loss into its slot, dispatched right after the step's kernels. */
  copyOf(step: number): PreparedKernel {
    return this.copies[step % this.lossBlock];
  }

  /** Starts reading back the losses of `count` steps from step `from` on (all inside one loss block). */
  read(from: number, count: number): Promise<Float32Array> {
    const offset = from % this.lossBlock;
    return this.backend.read(this.ring, 4 * (offset + count)).then((bytes) => new Float32Array(bytes, 4 * offset, count));
  }
}
