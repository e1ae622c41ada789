// `pruning` at scale 'test' on wasm: copies start from the baseline's weights, exact pruned counts that stay pruned, relative E over the right counts, verdicts recomputed from the rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';
import { experiments, parseMetricsCsv } from 'emergence-engine';
import type { MetricsRow, RunResults } from 'emergence-engine';

interface Counts {
  parameters: number;
  unmasked: number;
  nonzero: number;
  weights: number;
  maskedWeights: number;
  zeroWeights: number;
}

interface CopyDetails {
  run: string;
  fraction: number;
  EBeforePruning: string;
  EAfterPruning: string;
  prune: null | {
    scope: string;
    pruned: number;
    weights: number;
    threshold: number;
    tensors: { name: string; threshold: number | null }[];
  };
  after: Counts;
}

interface Details {
  architecture: string;
  datasets: { dataset: string; seeds: { seed: number; baselineE: string; copies: CopyDetails[] }[] }[];
}

// The test scale's settings (src/experiments/pruning.ts): MLP 784-48-32-10, 1 baseline epoch, 2 epochs after the split.
const WEIGHTS = 784 * 48 + 48 * 32 + 32 * 10;
const BIASES = 48 + 32 + 10;
const BASELINE_EPOCHS = 1;
const EPOCHS = 2;
const FRACTIONS = [0.3, 0.5, 0.7];
const PAPER = {
  mnist: { label: 'MNIST', accuracies: [90.4, 95.7, 95.7, 95.6, 95.1] },
  'fashion-mnist': { label: 'Fashion-MNIST', accuracies: [82, 86.3, 87, 86.8, 86.2] },
};

/** Python's round(), as PyTorch's pruning and emergence.prune count. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

const meanE = (rows: MetricsRow[]) => rows.reduce((sum, row) => sum + Number(row.E), 0) / rows.length;

describe('experiment pruning (scale test, wasm)', () => {
  let dir: string;
  let results: RunResults;
  let rows: MetricsRow[];
  let details: Details;

  beforeAll(async () => {
    dir = temporaryDir('pruning-');
    results = await experiments.run('pruning', { scale: 'test', backend: 'wasm', dir, seed: 0 });
    rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    details = results.details as unknown as Details;
  });

  const rowsOf = (dataset: string, run: string) =>
    rows.filter((r) => r.phase === dataset && r.run === run && r.kind === 'epoch' && r.seed === 0);

  it('records the baseline for epochs 0..1 and every copy from the split (epoch 1) to epoch 3, each row with E, accuracies and 2 active fractions', () => {
    expect(results.status).toBe('complete');
    expect(details.architecture).toBe('784-48-32-10');
    expect(details.datasets.map((d) => d.dataset)).toEqual(['mnist', 'fashion-mnist']);
    for (const dataset of ['mnist', 'fashion-mnist']) {
      expect(rowsOf(dataset, 'baseline').map((r) => r.epoch)).toEqual([0, BASELINE_EPOCHS]);
      for (const run of ['control', 'pruned 30%', 'pruned 50%', 'pruned 70%']) {
        const of = rowsOf(dataset, run);
        expect(of.map((r) => r.epoch)).toEqual([BASELINE_EPOCHS, BASELINE_EPOCHS + 1, BASELINE_EPOCHS + EPOCHS]);
        // The row at the split is measured before the copy's first step; then 256 images in batches of 32: 8 steps an epoch.
        expect(of.map((r) => r.step)).toEqual([8, 16, 24]);
        for (const row of of) {
          expect(row.E).toMatch(/^\d+$/);
          expect(row.trainAccuracy).toBeGreaterThanOrEqual(0);
          expect(row.testAccuracy).toBeGreaterThanOrEqual(0);
          expect(Object.keys(row.active ?? {})).toHaveLength(2);
        }
      }
    }
    expect(rows.filter((r) => r.kind === 'epoch')).toHaveLength(2 * (2 + 4 * 3));
  });

  it("starts every copy from the baseline's trained weights: E before pruning and the control's split row equal the baseline's last", () => {
    for (const study of details.datasets) {
      const last = rowsOf(study.dataset, 'baseline').at(-1)!;
      const [seed] = study.seeds;
      expect(seed.baselineE).toBe(last.E);
      for (const copy of seed.copies) expect(copy.EBeforePruning).toBe(last.E);
      const split = rowsOf(study.dataset, 'control')[0];
      // Same weights, same evaluation: bit-identical losses and accuracies.
      expect(split.E).toBe(last.E);
      expect(split.testLoss).toBe(last.testLoss);
      expect(split.trainLoss).toBe(last.trainLoss);
      expect(split.testAccuracy).toBe(last.testAccuracy);
      // The pruned copies' split rows are measured after pruning: 70% of the weights gone changes the loss.
      expect(rowsOf(study.dataset, 'pruned 70%')[0].testLoss).not.toBe(last.testLoss);
      expect(rowsOf(study.dataset, 'pruned 70%')[0].E).toBe(seed.copies.find((c) => c.run === 'pruned 70%')!.EAfterPruning);
    }
  });

  it('prunes exactly round(f x weights) weights with one global threshold, keeps them at zero through training, and leaves the control whole', () => {
    for (const study of details.datasets) {
      const copies = study.seeds[0].copies;
      expect(copies.map((c) => c.run)).toEqual(['control', 'pruned 30%', 'pruned 50%', 'pruned 70%']);
      const control = copies[0];
      expect(control.prune).toBeNull();
      expect(control.after).toEqual({
        parameters: WEIGHTS + BIASES,
        unmasked: WEIGHTS + BIASES,
        nonzero: WEIGHTS + BIASES,
        weights: WEIGHTS,
        maskedWeights: 0,
        zeroWeights: 0,
      });
      for (const [i, fraction] of FRACTIONS.entries()) {
        const copy = copies[i + 1];
        const expected = roundHalfEven(fraction * WEIGHTS);
        expect(copy.fraction).toBe(fraction);
        expect(copy.prune!.scope).toBe('global');
        expect(copy.prune!.weights).toBe(WEIGHTS);
        expect(copy.prune!.pruned).toBe(expected);
        for (const tensor of copy.prune!.tensors) expect(tensor.threshold).toBe(copy.prune!.threshold);
        // After two epochs of training the masked weights are still exactly zero, and only they are.
        expect(copy.after.weights).toBe(WEIGHTS);
        expect(copy.after.maskedWeights).toBe(expected);
        expect(copy.after.zeroWeights).toBe(expected);
        expect(copy.after.unmasked).toBe(WEIGHTS + BIASES - expected);
      }
    }
  });

  it('reports relative E over all parameters and over the unpruned ones, the latter counting what the copy has left', () => {
    for (const study of details.datasets) {
      for (const copy of study.seeds[0].copies) {
        const unpruned = WEIGHTS + BIASES - copy.after.maskedWeights;
        for (const row of rowsOf(study.dataset, copy.run)) {
          expect(row.relative).toBeCloseTo(Number(row.E) / (WEIGHTS + BIASES), 12);
          expect(row.relativeUnpruned).toBeCloseTo(Number(row.E) / unpruned, 12);
        }
      }
    }
  });

  it("quotes the paper's accuracies and recomputes the qualitative verdicts from the recorded rows", () => {
    for (const [dataset, paper] of Object.entries(PAPER)) {
      const accuracy = results.comparisons.filter((c) => c.quantity.startsWith(`${paper.label}: `) && typeof c.paper === 'number');
      expect(accuracy.map((c) => c.paper)).toEqual(paper.accuracies);
      // Scale 'test' uses 256 images: not the paper's setting.
      for (const comparison of accuracy) expect(comparison.verdict).toBe('not comparable');

      const control = rowsOf(dataset, 'control');
      for (const fraction of FRACTIONS) {
        const run = `pruned ${Math.round(fraction * 100)}%`;
        const pruned = rowsOf(dataset, run);
        const lowerE = results.comparisons.find((c) => c.quantity.startsWith(`${paper.label}: ${run} has lower absolute E`))!;
        expect(lowerE.verdict).toBe(meanE(pruned) < meanE(control) ? 'agrees' : 'differs');
        const relative = (of: MetricsRow[]) => of.reduce((sum, r) => sum + r.relativeUnpruned!, 0) / of.length;
        const higher = results.comparisons.find((c) => c.quantity.startsWith(`${paper.label}: ${run} has higher relative E`))!;
        expect(higher.verdict).toBe(relative(pruned) > relative(control) ? 'agrees' : 'differs');
        // Epochs after the split until training accuracy is within 0.5 points of the run's final value.
        const plateau = (of: MetricsRow[]) =>
          of.slice(1).find((r) => r.trainAccuracy! >= of.at(-1)!.trainAccuracy! - 0.005)!.epoch - of[0].epoch;
        const faster = results.comparisons.find((c) => c.quantity.startsWith(`${paper.label}: ${run} converges faster`))!;
        const expected =
          plateau(pruned) === EPOCHS && plateau(control) === EPOCHS
            ? 'not comparable'
            : plateau(pruned) < plateau(control)
              ? 'agrees'
              : 'differs';
        expect(faster.verdict).toBe(expected);
      }
      const slightly = results.comparisons.find((c) => c.quantity.startsWith(`${paper.label}: pruned 70% ends slightly below`))!;
      const gap = 100 * (control.at(-1)!.trainAccuracy! - rowsOf(dataset, 'pruned 70%').at(-1)!.trainAccuracy!);
      expect((slightly.ours as { mean: number }).mean).toBeCloseTo(gap, 10);
      expect(slightly.verdict).toBe(gap > 0 && gap <= 2 ? 'agrees' : 'differs');
    }
  });

  it('draws E, relative E and training accuracy per data set for the five series', () => {
    for (const dataset of ['mnist', 'fashion-mnist']) {
      for (const id of [`${dataset}-log10E`, `${dataset}-relative-E-unpruned`, `${dataset}-train-accuracy`]) {
        const spec = results.plots!.find((p) => p.id === id)!;
        expect(spec.phases).toEqual([dataset]);
        expect(spec.runs).toEqual(['baseline', 'control', 'pruned 30%', 'pruned 50%', 'pruned 70%']);
        const svg = readFileSync(join(dir, 'plots', `${id}.svg`), 'utf8');
        for (const run of spec.runs!) expect(svg).toContain(run);
      }
    }
  });

  it('refuses settings that cannot run, naming the option', () => {
    expect(() => experiments.settings('pruning', 'test', { fractions: [0.3, 1.2] })).toThrow(/--fractions/);
    expect(() => experiments.settings('pruning', 'test', { fractions: [0.3, 0.301] })).toThrow(/--fractions must differ/);
    expect(() => experiments.settings('pruning', 'test', { datasets: 'mnist,cifar10' })).toThrow(/--datasets/);
    expect(() => experiments.settings('pruning', 'test', { scope: 'row' })).toThrow(/--scope/);
    expect(() => experiments.settings('pruning', 'test', { hidden: '48,0' })).toThrow(/--hidden/);
  });
});
