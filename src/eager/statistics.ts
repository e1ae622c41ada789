// Eager activation statistics for Engine.activeCounts: per-node statistic and active count on the device, read back.
import type { Engine } from '../engine.js';
import type { ActiveCountOptions, ActiveCounts } from '../engine-options.js';
import type { Tensor } from '../tensor.js';

export async function activeCounts(engine: Engine, x: Tensor, options: ActiveCountOptions): Promise<ActiveCounts> {
  const threshold = options.threshold ?? 0.05;
  const statistic = options.statistic ?? 'mean';
  const cutoff = statistic === 'mean' ? threshold : (options.minFraction ?? 0.5);
  const { stat } = engine.run('nodeStatistic', { x }, { statistic, threshold }, 'activeCounts');
  try {
    const { count } = engine.run('countAbove', { x: stat }, { threshold: cutoff }, 'activeCounts');
    try {
      const [perNode, active] = await Promise.all([stat.read(), count.read()]);
      return { perNode, active: active[0], total: stat.size };
    } finally {
      count.dispose();
    }
  } finally {
    stat.dispose();
  }
}
