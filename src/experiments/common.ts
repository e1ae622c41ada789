// What several experiments share: CLI options of the same meaning, sample limits, compiling a classifier, the early-loss figure.
import type { OptionSpec, OptionSpecs } from '../cli/args.js';
import type { Dataset } from '../data/dataset.js';
import type { Net } from '../nn/net.js';
import type { InitName, OptimizerOptions, Sequential } from '../nn/types.js';
import type { ExperimentContext, MetricsRow } from './types.js';

/**
 * --train-limit / --test-limit: the first N images of a split. `of` says whose images ('of each data set'), `zero` what 0
 * stands for (default 'all').
 */
export function imageLimitOption(split: 'training' | 'test', { of, zero = 'all' }: { of?: string; zero?: string } = {}): OptionSpec {
  return { kind: 'integer', value: 'N', help: `${split} images${of ? ` ${of}` : ''}: the first N (0: ${zero})` };
}

/** --seeds: how many seeds (seed, seed+1, ...). `per` says what each set of seeds repeats ('per data set'); `note` replaces the parenthesis. */
export function seedsOption({ per, note = 'seed, seed+1, ...' }: { per?: string; note?: string } = {}): OptionSpec {
  return { kind: 'integer', value: 'N', help: `seeds${per ? ` ${per}` : ''} (${note})` };
}

/** --batch-size: samples per step; `paper` says what the paper states about it. */
export function batchSizeOption(paper?: string): OptionSpec {
  return { kind: 'integer', value: 'N', help: `samples per step${paper ? ` (${paper})` : ''}` };
}

/** --loss-every and --early-steps: the loss per block of steps, and the early-loss figure taken from it (meanEarlyLoss). */
export const EARLY_LOSS_OPTIONS: OptionSpecs = {
  lossEvery: { kind: 'integer', value: 'N', help: 'record the mean loss of every N steps' },
  earlySteps: { kind: 'integer', value: 'N', help: 'the early-loss figure: mean loss over the first N steps' },
};

/** ctx.data's options for the first `count` samples of a split; 0: the whole split. */
export function sampleLimit(count: number): { limit?: number } {
  return count > 0 ? { limit: count } : {};
}

/** The optimizer settings of `--optimizer adam|sgd`, `--lr` and (SGD only; 0: plain SGD) `--momentum`. */
export function optimizerOf(name: string, lr: number, momentum = 0): OptimizerOptions {
  if (name === 'adam') return { name: 'adam', lr };
  return momentum > 0 ? { name: 'sgd', lr, momentum } : { name: 'sgd', lr };
}

/** Compiles `model` for `data`'s samples with the cross-entropy loss every experiment trains with (`init` absent: PyTorch's default). */
export function compileClassifier(
  ctx: ExperimentContext,
  model: Sequential,
  data: Dataset,
  { batchSize, optimizer, init, seed }: { batchSize: number; optimizer: OptimizerOptions; init?: InitName; seed: number },
): Promise<Net> {
  return ctx.engine.compile(model, {
    inputShape: data.shape,
    batchSize,
    loss: 'cross-entropy',
    optimizer,
    ...(init ? { init: { name: init } } : {}),
    seed,
  });
}

/** Mean training loss over the first `steps` steps, from ctx.train's 'steps' rows (blocks of lossEvery steps); NaN without any. */
export function meanEarlyLoss(rows: readonly MetricsRow[], steps: number): number {
  const blocks = rows.filter((row) => row.kind === 'steps' && row.step <= steps);
  return blocks.length === 0 ? NaN : blocks.reduce((sum, row) => sum + row.loss!, 0) / blocks.length;
}

/** '1 seed', '3 seeds'. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `value` rounded to `digits` decimals, as a number (for figures quoted in comparisons). */
export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
