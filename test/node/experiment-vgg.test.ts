// Experiment 2 (vgg) at test scale on wasm: 16 conv layers measured, E at init equal to emergence.value over the recorded
// n and a, BN and plain nets from one draw measuring alike at init, the init's factors, divergence recorded as a result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emergence, experiments, parseMetricsCsv, type RunResults } from 'emergence-engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';

const temporary = () => temporaryDir('emergence-vgg-');

/** VGG-19's conv channels at width 1/16 (the test scale): 64..512 scaled, at least 1. */
const CHANNELS = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512].map((c) => Math.round(c / 16));
const SERIES = ['kaiming-plain', 'emergence-plain', 'kaiming-bn', 'emergence-bn', 'emergence-plain-high-alpha'];

interface InitFigures {
  E: string;
  layers: { name: string; n: number; a: number; meanStatistic: number }[];
  train?: { E: string; layers: { name: string; a: number; meanStatistic: number }[] };
}
interface SeedOutcome {
  seed: number;
  diverged: boolean;
  firstAccuracy: number;
  E: string[];
  divergence?: { step: number; message: string };
}
interface Details {
  perSeed: Record<string, SeedOutcome[]>;
  initial: Record<string, InitFigures[]>;
  initCheck: {
    samples: number;
    kaiming: number[];
    plain: { alpha: number; logitsRelativeDifference: number; finite: boolean; layerMeans: number[] }[];
  };
  emergenceInitFactors: { name: string; exponent: number; factor: number }[][];
}

describe('experiment vgg (test scale, wasm)', () => {
  let dir: string;
  let results: RunResults;
  let details: Details;

  beforeAll(async () => {
    dir = temporary();
    results = await experiments.run('vgg', { dir, scale: 'test', backend: 'wasm', probe: 256 });
    details = results.details as unknown as Details;
  });

  it('records every series: an epoch-0 and an epoch-1 row over 16 conv layers, and a loss row per step', () => {
    expect(results.status).toBe('complete');
    const rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    expect([...new Set(rows.map((row) => row.run))].sort()).toEqual([...SERIES].sort());
    for (const run of SERIES) {
      const epochs = rows.filter((row) => row.run === run && row.kind === 'epoch');
      expect(epochs.map((row) => row.epoch)).toEqual([0, 1]);
      for (const row of epochs) {
        expect(Object.keys(row.active!)).toHaveLength(16);
        expect(row.testAccuracy).toBeGreaterThanOrEqual(0);
      }
      // 256 images / batch 64 = 4 steps, lossEvery 1
      expect(rows.filter((row) => row.run === run && row.kind === 'steps').map((row) => row.step)).toEqual([1, 2, 3, 4]);
    }
  });

  it('E at init is emergence.value over the recorded n and a, and matches the epoch-0 row', () => {
    const rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    for (const run of SERIES) {
      const [figures] = details.initial[run];
      expect(figures.layers.map((layer) => layer.n)).toEqual(CHANNELS);
      const n = figures.layers.map((layer) => layer.n);
      const a = figures.layers.map((layer) => layer.a);
      expect(emergence.value(n, a).toString()).toBe(figures.E);
      const initial = rows.find((row) => row.run === run && row.kind === 'epoch' && row.epoch === 0)!;
      expect(initial.E).toBe(figures.E);
      expect(Object.values(initial.active!)).toEqual(a.map((active, i) => active / n[i]));
      expect(details.perSeed[run][0].E[0]).toBe(figures.E);
    }
    expect(BigInt(details.initial['kaiming-plain'][0].E)).toBeGreaterThan(0n);
  });

  it('BN and plain nets from one draw measure alike at init (eval-mode BN is the identity to 1/sqrt(1+eps))', () => {
    const pairs: [string, string][] = [
      ['kaiming-plain', 'kaiming-bn'],
      ['emergence-plain-high-alpha', 'emergence-bn'], // both alpha 5
    ];
    for (const [plain, bn] of pairs) {
      const p = details.initial[plain][0];
      const b = details.initial[bn][0];
      expect(b.E).toBe(p.E);
      expect(b.layers.map((layer) => layer.a)).toEqual(p.layers.map((layer) => layer.a));
      b.layers.forEach((layer, i) => expect(Math.abs(layer.meanStatistic / p.layers[i].meanStatistic - 1)).toBeLessThan(1e-3));
    }
    // The alphas differ, so the emergence series w/o BN (alpha 2) and w/ BN (alpha 5) do not.
    const alpha2 = details.initial['emergence-plain'][0].layers[0].meanStatistic;
    const alpha5 = details.initial['emergence-bn'][0].layers[0].meanStatistic;
    expect(alpha2 / alpha5).toBeCloseTo(5 ** 8 / 2 ** 8, -1);
  });

  it('in train mode BN normalizes the late convs but not the first ones, whose variance alpha^-2k pushes below eps', () => {
    const kaiming = details.initial['kaiming-bn'][0].train!.layers;
    const scaled = details.initial['emergence-bn'][0].train!.layers;
    expect(kaiming).toHaveLength(16);
    expect(scaled[0].meanStatistic).toBeLessThan(0.01 * kaiming[0].meanStatistic);
    expect(scaled[15].meanStatistic / kaiming[15].meanStatistic).toBeGreaterThan(0.5);
    expect(scaled[15].meanStatistic / kaiming[15].meanStatistic).toBeLessThan(2);
    expect(details.initial['kaiming-plain'][0].train).toBeUndefined();
  });

  it('applies eq. 8 with exponents -8..8 over the 17 weight layers; the plain logits stay those of Kaiming', () => {
    const [alpha2, alpha5] = details.emergenceInitFactors;
    expect(alpha2.map((layer) => layer.exponent)).toEqual(Array.from({ length: 17 }, (_, l) => l - 8));
    expect(alpha2.map((layer) => layer.factor)).toEqual(alpha2.map((layer) => 2 ** layer.exponent));
    expect(alpha5.map((layer) => layer.factor)).toEqual(alpha5.map((layer) => 5 ** layer.exponent));
    expect(alpha2[0].name).toBe('0.weight');
    for (const check of details.initCheck.plain) {
      expect(check.finite).toBe(true);
      expect(check.logitsRelativeDifference).toBeLessThan(1e-5);
      // conv 8 sits after exponents -8..-1: its activations are alpha^-36 times Kaiming's
      expect(check.layerMeans[7] / details.initCheck.kaiming[7] / check.alpha ** -36).toBeCloseTo(1, 3);
    }
    expect(details.initCheck.plain.map((check) => check.alpha)).toEqual([2, 5]);
  });

  it("puts Table 1's numbers beside ours and applies the stated verdict rules", () => {
    const paper = results.comparisons.map((c) => c.paper);
    expect(paper.slice(0, 4)).toEqual(['29.1 ± 1.5', '12.6 ± 0.6', '46.2 ± 0.6', '52.4 ± 1.0']);
    expect(results.comparisons.slice(0, 4).every((c) => c.verdict === 'not comparable')).toBe(true);
    const beats = results.comparisons.filter((c) => c.quantity.startsWith('emergence init beats Kaiming'));
    expect(beats).toHaveLength(2);
    for (const [comparison, [better, worse]] of beats.map(
      (c, i) => [c, i === 0 ? ['emergence-plain', 'kaiming-plain'] : ['emergence-bn', 'kaiming-bn']] as const,
    )) {
      // one seed: the pooled std is 0, so the verdict is the sign of the difference
      const difference = details.perSeed[better][0].firstAccuracy - details.perSeed[worse][0].firstAccuracy;
      expect(comparison.verdict).toBe(difference > 0 ? 'agrees' : 'differs');
    }
    expect(results.comparisons.some((c) => c.quantity.startsWith('BN allows a larger alpha'))).toBe(true);
    expect(results.tables[0].rows).toHaveLength(2);
    expect(results.tables[1].rows).toHaveLength(5);
  });

  it('records a diverging net as a result (chance accuracy) instead of failing the experiment', async () => {
    const diverging = await experiments.run('vgg', {
      dir: temporary(),
      scale: 'test',
      backend: 'wasm',
      probe: 64,
      settings: { optimizer: 'sgd', lr: 1e30, limit: 128, testLimit: 64, alphaPlainHigh: 0 },
    });
    expect(diverging.status).toBe('complete');
    const perSeed = (diverging.details as unknown as Details).perSeed;
    const diverged = Object.values(perSeed)
      .flat()
      .filter((outcome) => outcome.diverged);
    // SGD at lr 1e30 overflows every net's weights on the first step: all four series diverge at step 2
    expect(diverged).toHaveLength(4);
    expect(diverging.tables[1].rows.map((row) => row[1])).toEqual(['1 of 1', '1 of 1', '1 of 1', '1 of 1']);
    for (const outcome of diverged) {
      expect(outcome.firstAccuracy).toBe(0.1);
      expect(outcome.divergence!.step).toBeGreaterThanOrEqual(1);
      expect(outcome.divergence!.message).toMatch(/loss is (NaN|-?Infinity)/);
    }
  });

  it('rejects settings that cannot run, naming the option', () => {
    expect(() => experiments.settings('vgg', 'test', { width: 0 })).toThrow(/--width/);
    expect(() => experiments.settings('vgg', 'test', { classifierHidden: '512,x' })).toThrow(/--classifier-hidden/);
    expect(() => experiments.settings('vgg', 'test', { momentum: 1 })).toThrow(/--momentum/);
  });
});
