// `cnn-stopping` at scale 'test' on wasm: E per epoch in the rows, and the stop points and their cost recomputed from the recorded E.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';
import { emergence, experiments, parseMetricsCsv } from 'emergence-engine';
import type { MetricsRow, RunResults } from 'emergence-engine';

interface StopDetails {
  epoch: number | null;
  accuracyAtStop: number | null;
  gainAfterStop: number | null;
  bestGainAfterStop: number | null;
  epochsSaved: number;
}

interface RunDetails {
  dataset: string;
  seed: number;
  E: string[];
  accuracy: number[];
  active: number[][];
  firstZeroEpoch: number | null;
  zeroToEnd: boolean;
  onZero: StopDetails;
  belowPeak: StopDetails;
  other: { statistic: string; atInit: { E: string; active: number[] }; atEnd: { E: string; active: number[] } };
}

const EPOCHS = 3;
// A variant threshold that fires on this short run (E rarely falls below 1% of its peak in 3 epochs): any 10% drop.
const BELOW_PEAK = 0.9;

/** The first epoch >= 1 where `fires` holds for the E sequence so far (epoch 0 counts toward the peak only). */
function firstFiring(E: readonly bigint[], fires: (E: bigint, peak: bigint) => boolean): number | null {
  let peak = -1n;
  for (const [epoch, value] of E.entries()) {
    if (value > peak) peak = value;
    if (epoch >= 1 && fires(value, peak)) return epoch;
  }
  return null;
}

describe('experiment cnn-stopping (scale test, wasm)', () => {
  let results: RunResults;
  let rows: MetricsRow[];
  let runs: RunDetails[];

  beforeAll(async () => {
    const dir = temporaryDir('cnn-stopping-');
    results = await experiments.run('cnn-stopping', {
      scale: 'test',
      backend: 'wasm',
      dir,
      seed: 0,
      // A smaller probe than the default 1000 keeps the test quick; the rules only read the recorded E.
      probe: 256,
      settings: { belowPeakFraction: BELOW_PEAK },
    });
    rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    runs = (results.details as unknown as { runs: RunDetails[] }).runs;
  });

  it('trains every epoch of both data sets and records E, accuracy and 3 layers of active fractions per epoch', () => {
    expect(results.status).toBe('complete');
    expect(runs.map((run) => run.dataset)).toEqual(['mnist', 'cifar10']);
    for (const run of runs) {
      const epochRows = rows.filter((row) => row.run === run.dataset && row.kind === 'epoch');
      expect(epochRows.map((row) => row.epoch)).toEqual([0, 1, 2, 3]);
      // The sequence the rules were applied to is the one in metrics.csv.
      expect(run.E).toEqual(epochRows.map((row) => row.E));
      expect(run.accuracy).toEqual(epochRows.map((row) => row.testAccuracy));
      for (const row of epochRows) expect(Object.keys(row.active ?? {})).toHaveLength(3);
      expect(run.active).toEqual(epochRows.map((row) => Object.values(row.active!)));
      expect(run.other.statistic).toBe('fraction');
      expect(run.other.atInit.active).toHaveLength(3);
    }
  });

  it("puts each rule's stop where the recorded E sequence fires it, with the accuracy it would have cost", () => {
    for (const run of runs) {
      const E = run.E.map((value) => BigInt(value));
      const zero = firstFiring(E, (value) => value === 0n);
      expect(run.onZero.epoch).toBe(zero);
      expect(run.firstZeroEpoch).toBe(zero);
      // log10 E < log10 peak + log10 f, i.e. E < f * peak (no value here sits on the boundary to float rounding).
      const below = firstFiring(E, (value, peak) => Number(value) < BELOW_PEAK * Number(peak));
      expect(run.belowPeak.epoch).toBe(below);
      for (const outcome of [run.onZero, run.belowPeak]) {
        if (outcome.epoch === null) {
          expect(outcome).toMatchObject({ accuracyAtStop: null, gainAfterStop: null, epochsSaved: 0 });
          continue;
        }
        const at = run.accuracy[outcome.epoch];
        expect(outcome.accuracyAtStop).toBe(at);
        expect(outcome.gainAfterStop).toBeCloseTo(run.accuracy[EPOCHS] - at, 12);
        expect(outcome.bestGainAfterStop).toBeCloseTo(Math.max(...run.accuracy.slice(outcome.epoch)) - at, 12);
        expect(outcome.epochsSaved).toBe(EPOCHS - outcome.epoch);
      }
    }
  });

  it("compares with the paper's 634,398 and judges the stop rules by the stated gain rule", () => {
    // The small CNN's hidden layers (32, 64, 128 nodes) allow at most E = 32*64*128 + 64*128 (a = 0, 0, 128).
    const maxE = emergence.value([32, 64, 128], [0, 0, 128]);
    expect(maxE).toBe(270336n);
    for (const dataset of ['mnist', 'cifar10']) {
      const epochOne = results.comparisons.find((c) => c.quantity === `E after epoch 1 (${dataset})`)!;
      expect(epochOne.paper).toBe(634398);
      expect(epochOne.verdict).toBe('not comparable');
      expect(epochOne.note).toContain(`at most E = ${maxE}`);
      const run = runs.find((r) => r.dataset === dataset)!;
      const falls = results.comparisons.find((c) => c.quantity === `E falls to 0 as training goes on (${dataset})`)!;
      expect(falls.verdict).toBe(run.zeroToEnd ? 'agrees' : 'differs');
      const low = results.comparisons.find(
        (c) => c.quantity.startsWith(`low E (< ${BELOW_PEAK} x peak)`) && c.quantity.endsWith(`(${dataset})`),
      )!;
      const stoppedEarly = run.belowPeak.epoch !== null && run.belowPeak.epoch < EPOCHS;
      expect(low.verdict).toBe(!stoppedEarly ? 'not comparable' : run.belowPeak.gainAfterStop! < 0.005 ? 'agrees' : 'differs');
    }
    const table = results.tables.find((t) => t.title.startsWith('E and test accuracy per epoch'))!;
    expect(table.rows).toHaveLength(EPOCHS + 1);
  });
});
