// `transfer` at scale 'test' on wasm: the copies carry the pretrained weights, the random-init nets the seed's initial draw, exact pruned counts, verdicts recomputed from the rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';
import { createEngine, data, emergence, experiments, nn, parseMetricsCsv } from 'emergence-engine';
import type { MetricsRow, RunResults } from 'emergence-engine';

interface RunDetails {
  run: string;
  EBeforePruning: string;
  EFirstRow: string;
  accuracyAfterFirstEpoch: number;
  epochsToConverge: number;
  prune: null | { scope: string; pruned: number; weights: number };
  after: { parameters: number; unmasked: number; weights: number; maskedWeights: number; zeroWeights: number };
}

interface Details {
  architecture: string;
  seeds: { seed: number; pretrainedE: string; runs: RunDetails[] }[];
}

// The test scale's settings (src/experiments/transfer.ts): MLP 784-48-32-10, 1 epoch on MNIST, 2 on Fashion-MNIST, 50%.
const HIDDEN = [48, 32];
const WEIGHTS = 784 * 48 + 48 * 32 + 32 * 10;
const BIASES = 48 + 32 + 10;
const PRUNED = Math.round(0.5 * WEIGHTS); // WEIGHTS is even: no tie to round
const RUNS = ['unpruned', 'pruned 50%', 'random init', 'random init, pruned 50%'];

describe('experiment transfer (scale test, wasm)', () => {
  let results: RunResults;
  let rows: MetricsRow[];
  let details: Details;

  beforeAll(async () => {
    const dir = temporaryDir('transfer-');
    results = await experiments.run('transfer', { scale: 'test', backend: 'wasm', dir, seed: 0 });
    rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    details = results.details as unknown as Details;
  });

  const rowsOf = (run: string) => rows.filter((r) => r.run === run && r.kind === 'epoch');
  const runOf = (run: string) => details.seeds[0].runs.find((r) => r.run === run)!;

  it('pretrains on MNIST (epochs 0..1) and trains all four nets on Fashion-MNIST from epoch 1 to 3', () => {
    expect(results.status).toBe('complete');
    expect(rowsOf('pretrained').map((r) => [r.phase, r.epoch])).toEqual([
      ['mnist', 0],
      ['mnist', 1],
    ]);
    for (const run of RUNS) {
      const of = rowsOf(run);
      expect(of.map((r) => [r.phase, r.epoch])).toEqual([
        ['fashion-mnist', 1],
        ['fashion-mnist', 2],
        ['fashion-mnist', 3],
      ]);
      for (const row of of) {
        expect(row.E).toMatch(/^\d+$/);
        expect(row.trainAccuracy).toBeGreaterThanOrEqual(0);
        expect(Object.keys(row.active ?? {})).toHaveLength(2);
      }
    }
    expect(details.seeds[0].pretrainedE).toBe(rowsOf('pretrained').at(-1)!.E);
  });

  it('splits the pretrained net: both copies measure the same E before pruning; the pruned one changes after', () => {
    const unpruned = runOf('unpruned');
    const pruned = runOf('pruned 50%');
    expect(unpruned.EBeforePruning).toBe(rowsOf('unpruned')[0].E);
    expect(pruned.EBeforePruning).toBe(unpruned.EBeforePruning);
    expect(pruned.EFirstRow).toBe(rowsOf('pruned 50%')[0].E);
    expect(rowsOf('pruned 50%')[0].testLoss).not.toBe(rowsOf('unpruned')[0].testLoss);
    // The copies are not fresh nets: after pretraining their loss on Fashion-MNIST differs from the random init's.
    expect(rowsOf('unpruned')[0].testLoss).not.toBe(rowsOf('random init')[0].testLoss);
  });

  it("starts the random-init nets from the seed's initial draw: E on the Fashion-MNIST probe as a fresh net of seed 0 measures", async () => {
    const engine = await createEngine({ backend: 'wasm', seed: 0 });
    try {
      const layers = [
        nn.flatten(),
        nn.linear(784, HIDDEN[0]),
        nn.relu(),
        nn.linear(HIDDEN[0], HIDDEN[1]),
        nn.relu(),
        nn.linear(HIDDEN[1], 10),
      ];
      const net = await engine.compile(nn.sequential(...layers), {
        inputShape: [1, 28, 28],
        batchSize: 32,
        loss: 'cross-entropy',
        optimizer: { name: 'sgd', lr: 0.005 },
        seed: 0,
      });
      const probe = await data.load('fashion-mnist', { split: 'test', limit: 1000, normalize: 'unit' });
      const measured = await emergence.measure(net, probe.inputs, { threshold: 0.05 });
      await net.dispose();
      expect(rowsOf('random init')[0].E).toBe(measured.E.toString());
      expect(runOf('random init, pruned 50%').EBeforePruning).toBe(measured.E.toString());
    } finally {
      await engine.dispose();
    }
  });

  it('prunes exactly half the weights of the pruned nets, keeps them at zero through training, and none of the others', () => {
    for (const run of RUNS) {
      const { prune, after } = runOf(run);
      const pruned = run.endsWith('pruned 50%') ? PRUNED : 0;
      expect(after.parameters).toBe(WEIGHTS + BIASES);
      expect(after.weights).toBe(WEIGHTS);
      expect(after.maskedWeights).toBe(pruned);
      expect(after.zeroWeights).toBe(pruned);
      expect(after.unmasked).toBe(WEIGHTS + BIASES - pruned);
      if (pruned) expect(prune).toMatchObject({ scope: 'global', weights: WEIGHTS, pruned: PRUNED });
      else expect(prune).toBeNull();
      for (const row of rowsOf(run)) expect(row.relativeUnpruned).toBeCloseTo(Number(row.E) / (WEIGHTS + BIASES - pruned), 12);
    }
  });

  it("judges the paper's claims by the stated rules, recomputed from the recorded rows", () => {
    const verdict = (prefix: string) => results.comparisons.find((c) => c.quantity.startsWith(prefix))!.verdict;
    const afterFirst = (run: string) => rowsOf(run)[1].trainAccuracy!;
    const final = (run: string) => rowsOf(run).at(-1)!.trainAccuracy!;
    const meanE = (run: string) => rowsOf(run).reduce((sum, r) => sum + Number(r.E), 0) / rowsOf(run).length;
    const rule = (holds: boolean) => (holds ? 'agrees' : 'differs');
    expect(results.comparisons).toHaveLength(8);
    expect(verdict('pruned converges faster than unpruned: Fashion-MNIST training accuracy after 1 epoch')).toBe(
      rule(afterFirst('pruned 50%') > afterFirst('unpruned')),
    );
    const [toConvergePruned, toConvergeUnpruned] = [runOf('pruned 50%').epochsToConverge, runOf('unpruned').epochsToConverge];
    expect(verdict('pruned converges faster than unpruned: epochs until')).toBe(
      toConvergePruned === 2 && toConvergeUnpruned === 2 ? 'not comparable' : rule(toConvergePruned < toConvergeUnpruned),
    );
    expect(verdict('pruned ends lower than unpruned')).toBe(rule(final('pruned 50%') < final('unpruned')));
    expect(verdict('pruned has lower E than unpruned')).toBe(rule(meanE('pruned 50%') < meanE('unpruned')));
    expect(verdict('random-init nets have lower E: random init vs')).toBe(rule(meanE('random init') < meanE('unpruned')));
    expect(verdict('random-init nets have lower E: random init, pruned 50% vs')).toBe(
      rule(meanE('random init, pruned 50%') < meanE('pruned 50%')),
    );
    expect(verdict('random-init nets have lower accuracy: random init vs')).toBe(rule(final('random init') < final('unpruned')));
    expect(verdict('random-init nets have lower accuracy: random init, pruned 50% vs')).toBe(
      rule(final('random init, pruned 50%') < final('pruned 50%')),
    );
    // Epochs to 95% of the final training accuracy, from the rows.
    for (const run of RUNS) {
      const of = rowsOf(run);
      const reached = of.slice(1).find((r) => r.trainAccuracy! >= 0.95 * of.at(-1)!.trainAccuracy!)!;
      expect(runOf(run).epochsToConverge).toBe(reached.epoch - of[0].epoch);
      expect(runOf(run).accuracyAfterFirstEpoch).toBe(afterFirst(run));
    }
  });

  it('refuses settings that cannot run, naming the option', () => {
    expect(() => experiments.settings('transfer', 'test', { target: 'mnist' })).toThrow(/--source and --target must differ/);
    expect(() => experiments.settings('transfer', 'test', { fraction: 1 })).toThrow(/--fraction/);
    expect(() => experiments.settings('transfer', 'test', { convergenceShare: 0 })).toThrow(/--convergence-share/);
    expect(() => experiments.settings('transfer', 'test', { momentum: 0.9, optimizer: 'adam' })).toThrow(/--momentum/);
  });
});
