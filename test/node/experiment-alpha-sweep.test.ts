// `alpha-sweep` at scale 'test' on wasm: alpha 1 is plain Kaiming, E at init per alpha, the rule of eq. 11, rows per run, layer rates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../support/temporary.js';
import { createEngine, data, emergence, experiments, nn, parseMetricsCsv } from 'emergence-engine';
import type { MetricsRow, RunResults } from 'emergence-engine';

const ALPHAS = [1, 2, 4];
const LR = 1e-3;
const LR2 = 1e-4;

describe('experiment alpha-sweep (scale test, wasm)', () => {
  let dir: string;
  let results: RunResults;
  let rows: MetricsRow[];

  beforeAll(async () => {
    dir = temporaryDir('alpha-sweep-');
    results = await experiments.run('alpha-sweep', { scale: 'test', backend: 'wasm', dir, seed: 0 });
    rows = parseMetricsCsv(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
  });

  const initialE = (run: string): bigint => {
    const row = rows.find((r) => r.run === run && r.kind === 'epoch' && r.epoch === 0);
    expect(row, `epoch-0 row of '${run}'`).toBeDefined();
    return BigInt(row!.E!);
  };

  it('completes with one epoch-0 and one epoch-1 row and every block of steps per run', () => {
    expect(results.status).toBe('complete');
    const runs = [...ALPHAS.map((a) => `alpha ${a}`), ...ALPHAS.map((a) => `alpha ${a} at lr ${LR2}`), 'alpha 2 layer-wise lr'];
    expect(new Set(rows.map((r) => r.run))).toEqual(new Set(runs));
    for (const run of runs) {
      const of = rows.filter((r) => r.run === run);
      expect(of.filter((r) => r.kind === 'epoch').map((r) => r.epoch)).toEqual([0, 1]);
      // 512 samples in batches of 64 are 8 steps; a loss row every 2 steps.
      expect(of.filter((r) => r.kind === 'steps').map((r) => r.step)).toEqual([2, 4, 6, 8]);
      expect(of.every((r) => r.phase === `lr ${run.includes(`lr ${LR2}`) ? LR2 : LR}`)).toBe(true);
    }
  });

  it("alpha 1 is plain Kaiming: its E at init equals a kaiming-normal net's of the same seed", async () => {
    const engine = await createEngine({ backend: 'wasm', seed: 0 });
    try {
      const probe = await data.load('mnist', { split: 'test', limit: 1000, normalize: 'unit' });
      const model = nn.sequential(
        nn.flatten(),
        nn.linear(784, 32),
        nn.relu(),
        nn.linear(32, 32),
        nn.relu(),
        nn.linear(32, 32),
        nn.relu(),
        nn.linear(32, 10),
      );
      const net = await engine.compile(model, {
        inputShape: [1, 28, 28],
        batchSize: 64,
        loss: 'cross-entropy',
        init: { name: 'kaiming-normal' },
        seed: 0,
      });
      const plain = await emergence.measure(net, probe.inputs, { threshold: 0.05, statistic: 'mean' });
      await net.dispose();
      expect(initialE('alpha 1')).toBe(plain.E);
      expect(initialE(`alpha 1 at lr ${LR2}`)).toBe(plain.E);
    } finally {
      await engine.dispose();
    }
  });

  it('scales layer l by alpha^k with k = -2, -1, 1, 2, and E at init rises from alpha 1 to alpha 2', () => {
    const details = results.details as { init: Record<string, { layers: { factor: number; exponent: number }[] }> };
    for (const alpha of ALPHAS) {
      const layers = details.init[`alpha ${alpha}`].layers;
      expect(layers.map((l) => l.exponent)).toEqual([-2, -1, 1, 2]);
      for (const layer of layers) expect(layer.factor).toBeCloseTo(alpha ** layer.exponent, 12);
    }
    expect(initialE('alpha 2')).toBeGreaterThan(initialE('alpha 1'));
    // The same seeded draw at both learning rates and in the layer-rate series.
    for (const alpha of ALPHAS) expect(initialE(`alpha ${alpha} at lr ${LR2}`)).toBe(initialE(`alpha ${alpha}`));
    expect(initialE('alpha 2 layer-wise lr')).toBe(initialE('alpha 2'));
    const table = results.tables.find((t) => t.title.startsWith('E at initialization'))!;
    expect(table.rows.map((row) => row[0])).toEqual(ALPHAS);
    for (const [i, alpha] of ALPHAS.entries()) {
      // The table prints 3 significant digits (one seed: no ±).
      const printed = Number(table.rows[i][2]);
      const exact = Number(initialE(`alpha ${alpha}`));
      expect(Math.abs(printed - exact)).toBeLessThanOrEqual(0.005 * exact);
    }
  });

  it("names the best alpha per learning rate from the recorded accuracies, and eq. 11's alpha for N = 4", () => {
    const finalAccuracy = (run: string) => rows.find((r) => r.run === run && r.kind === 'epoch' && r.epoch === 1)!.testAccuracy!;
    const best = (suffix: string) =>
      ALPHAS.reduce((a, b) => (finalAccuracy(`alpha ${b}${suffix}`) > finalAccuracy(`alpha ${a}${suffix}`) ? b : a));
    const rule = results.tables.find((t) => t.title.startsWith('The learning-rate rule'))!;
    expect(rule.rows[0][2]).toBe(best(''));
    expect(rule.rows[1][2]).toBe(best(` at lr ${LR2}`));
    const ruleAlpha = (results.details as { ruleAlpha: number }).ruleAlpha;
    expect(ruleAlpha).toBeCloseTo(2 * 10 ** (1 / 4), 12);
    expect(emergence.alphaForLearningRate(LR2, 4)).toBeCloseTo(ruleAlpha, 12);

    const quantities = results.comparisons.map((c) => c.quantity);
    expect(quantities).toContain(`accuracy rises then falls with alpha (lr ${LR})`);
    expect(quantities).toContain(`accuracy rises then falls with alpha (lr ${LR2})`);
    const lrRule = results.comparisons.find((c) => c.quantity.startsWith('alpha by eq. 11'))!;
    expect(String(lrRule.paper)).toContain('6.32');
    // The rule's 3.557 lies between the neighbours of the best alpha only when the best is 2 (1..4) or 4 (2..inf).
    expect(lrRule.verdict).toBe(best(` at lr ${LR2}`) === 1 ? 'differs' : 'agrees');
    const shape = results.comparisons.find((c) => c.quantity === `accuracy rises then falls with alpha (lr ${LR})`)!;
    const acc = ALPHAS.map((a) => finalAccuracy(`alpha ${a}`));
    expect(shape.verdict).toBe(acc[1] > acc[0] && acc[1] > acc[2] ? 'agrees' : 'differs');
  });

  it('gives each weight layer of the layer-rate series its own rate, averaging to lr', () => {
    const details = results.details as { layerRates: Record<string, { layers: { name: string; lr: number; rmsNorm: number }[] }> };
    const layers = details.layerRates['seed 0'].layers;
    expect(layers.map((l) => l.name)).toEqual(['1.weight', '3.weight', '5.weight', '7.weight']);
    const mean = layers.reduce((sum, l) => sum + l.lr, 0) / layers.length;
    expect(mean).toBeCloseTo(LR, 12);
    // lr_l * rms_l is the same constant for every layer.
    const products = layers.map((l) => l.lr * l.rmsNorm);
    for (const p of products) expect(p).toBeCloseTo(products[0], 10);
  });
});
