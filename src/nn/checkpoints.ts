// Device checkpoints of the trainable state at the start of each loss block (two sets, alternating), restored to replay a step.
import type { Backend, PreparedKernel } from '../backend/backend.js';
import type { NetState } from './net-state.js';

export class Checkpoints {
  /** Checkpoint copies by set (block parity) and by phase (which buffer of each pair holds the current state). */
  private readonly copies: PreparedKernel[][][];
  /** The step each checkpoint set was taken before: a block's first step, or a later one after the state was edited. */
  private readonly takenBefore = [0, 0];

  /** Prepares the copies of every ping-pong tensor into its snapshots (owned by the state: freed with the net). */
  constructor(
    private readonly backend: Backend,
    private readonly state: NetState,
    private readonly lossBlock: number,
  ) {
    this.copies = [0, 1].map((set) =>
      [0, 1].map((phase) =>
        state.pingPongTensors().map((t) => state.own(backend.prepareCopy(t.buffers[phase], 0, t.snapshots![set], 0, t.bytes))),
      ),
    );
  }

  /** When step i (0-based, in the given phase) starts a loss block: appends the copies that take its checkpoint to `list`. */
  takeAtBlockStart(i: number, phase: number, list: PreparedKernel[]): void {
    const K = this.lossBlock;
    if (i % K !== 0) return;
    const set = (i / K) % 2;
    for (const copy of this.copies[set][phase]) list.push(copy);
    this.takenBefore[set] = i;
  }

  /** After an edit of the state with `dispatched` steps done: retakes the current block's checkpoint, so replays include the edit. */
  retake(dispatched: number): void {
    const set = Math.floor(dispatched / this.lossBlock) % 2;
    this.backend.dispatch(this.copies[set][dispatched % 2]);
    this.takenBefore[set] = dispatched;
  }

  /** The step the checkpoint of step s's block was taken before, or undefined when s cannot be replayed from it. */
  replayStart(s: number): number | undefined {
    const start = this.takenBefore[this.setOf(s)];
    return start > s || s - start >= this.lossBlock ? undefined : start;
  }

  /** Copies the checkpoint of step s's block back into the buffers of the phase of `start` (its replayStart). */
  restore(s: number, start: number): void {
    const set = this.setOf(s);
    const restores = this.state
      .pingPongTensors()
      .map((t) => this.backend.prepareCopy(t.snapshots![set], 0, t.buffers[start % 2], 0, t.bytes));
    try {
      this.backend.dispatch(restores);
    } finally {
      for (const copy of restores) copy.release();
    }
  }

  private setOf(s: number): number {
    return Math.floor(s / this.lossBlock) % 2;
  }
}
