// Host copies of the batches and optimizer settings of the last three loss blocks: queued steps run from them, replays reuse them.
import type { ResolvedGroup } from './types.js';

export class BatchRing {
  /** Steps whose batches are kept: three loss blocks. */
  readonly size: number;
  private readonly x: Float32Array[] = [];
  private readonly targets: (Int32Array | Float32Array)[] = [];
  /** The optimizer groups' settings each slot's step ran with. */
  private readonly settings: ResolvedGroup[][] = [];

  constructor(lossBlock: number) {
    this.size = 3 * lossBlock;
  }

  /** Copies step q's batch into its slot (allocated on the slot's first use). */
  stage(q: number, x: Float32Array, target: Int32Array | Float32Array): void {
    const slot = q % this.size;
    if (!this.x[slot]) {
      this.x[slot] = new Float32Array(x.length);
      this.targets[slot] = target instanceof Int32Array ? new Int32Array(target.length) : new Float32Array(target.length);
    }
    this.x[slot].set(x);
    this.targets[slot].set(target);
  }

  xOf(step: number): Float32Array {
    return this.x[step % this.size];
  }

  targetOf(step: number): Int32Array | Float32Array {
    return this.targets[step % this.size];
  }

  /** Records the settings of the groups as step i runs with them. */
  recordSettings(step: number, groups: readonly ResolvedGroup[]): void {
    this.settings[step % this.size] = groups.map((group) => ({ ...group }));
  }

  settingsOf(step: number): readonly ResolvedGroup[] {
    return this.settings[step % this.size];
  }
}
