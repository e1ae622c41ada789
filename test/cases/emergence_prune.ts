// Pruning: exact magnitude-pruned counts (global, per layer, ties, repeats), masks through training, node pruning, counts, errors.
import {
  EngineError,
  Random,
  compileNet,
  emergence,
  nn,
  type CompileOptions,
  type Engine,
  type Net,
  type OptimizerOptions,
  type Sequential,
} from 'emergence-engine';
import type { TestCase, TestGroup } from './types.js';
import { expectBits, expectEqual, expectRejects } from './expect.js';

const BATCH = 8;
const FEATURES = 12;
const HIDDEN = 16;
const CLASSES = 3;
/** Linear weights of the MLP: 16x12 and 3x16. */
const WEIGHT_SIZES = { '0.weight': HIDDEN * FEATURES, '2.weight': CLASSES * HIDDEN };

function mlp(): Sequential {
  return nn.sequential(nn.linear(FEATURES, HIDDEN), nn.relu(), nn.linear(HIDDEN, CLASSES));
}

/** conv (4 channels) → batch norm → relu → max-pool → flatten → linear on 1x6x6 images. */
function cnn(): Sequential {
  return nn.sequential(
    nn.conv2d(1, 4, 3, { padding: 1 }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.maxPool2d(2),
    nn.flatten(),
    nn.linear(4 * 3 * 3, CLASSES),
  );
}

function options(inputShape: number[], optimizer: OptimizerOptions = { name: 'sgd', lr: 0.05, momentum: 0.9 }): CompileOptions {
  return { inputShape, batchSize: BATCH, loss: 'cross-entropy', optimizer, lossBlock: 2 };
}

function toyBatch(features: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const x = new Random(seed).uniformArray(BATCH * features, -1, 1);
  return { x, labels: Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES) };
}

async function withNet(engine: Engine, model: Sequential, compileOptions: CompileOptions, fn: (net: Net) => Promise<void>): Promise<void> {
  const net = await compileNet(engine, model, compileOptions);
  try {
    await fn(net);
  } finally {
    await net.dispose();
  }
}

/** Weights whose magnitudes take only 7 values (0, 0.1, ..., 0.6) with random signs, so thresholds fall on ties. */
function tiedWeights(size: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: size }, () => (random.uniform() < 0.5 ? -1 : 1) * random.int(7) * 0.1);
}

async function loadTiedWeights(net: Net): Promise<Record<string, Float32Array>> {
  const weights = { '0.weight': tiedWeights(WEIGHT_SIZES['0.weight'], 1), '2.weight': tiedWeights(WEIGHT_SIZES['2.weight'], 2) };
  await net.loadStateDict(weights);
  return weights;
}

/**
 * The oracle: the masks after pruning `count` more entries of the tensors (in order), smallest |w| first, ties by tensor
 * order then index, never unpruning; by a stable sort of every unmasked entry.
 */
function expectedMasks(values: Float32Array[], masks: Float32Array[], count: number): Float32Array[] {
  const entries: { tensor: number; index: number; magnitude: number }[] = [];
  values.forEach((v, tensor) =>
    v.forEach((w, index) => masks[tensor][index] !== 0 && entries.push({ tensor, index, magnitude: Math.abs(w) })),
  );
  entries.sort((p, q) => p.magnitude - q.magnitude || p.tensor - q.tensor || p.index - q.index);
  const result = masks.map((m) => Float32Array.from(m));
  for (const { tensor, index } of entries.slice(0, count)) result[tensor][index] = 0;
  return result;
}

function zeros(values: Float32Array): number {
  return values.filter((v) => v === 0).length;
}

async function readMasks(net: Net, names: string[]): Promise<Float32Array[]> {
  return Promise.all(names.map((name) => net.readMask(name)));
}

/** Every masked entry of the parameter is exactly 0 (+0 or -0). */
async function expectMaskedZero(net: Net, name: string, when: string): Promise<void> {
  const [values, mask] = await Promise.all([net.readParameter(name), net.readMask(name)]);
  mask.forEach((m, i) => {
    if (m === 0 && values[i] !== 0) throw new Error(`${when}: masked entry ${i} of '${name}' is ${values[i]}`);
  });
}

async function train(net: Net, x: Float32Array, labels: Int32Array, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await net.trainStep(x, labels);
}

const cases: TestCase[] = [
  {
    name: 'global pruning masks exactly round(fraction * size) entries, the smallest magnitudes, ties in order',
    async run(engine) {
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        const weights = await loadTiedWeights(net);
        const names = Object.keys(weights);
        const before = await readMasks(net, names);
        const report = await emergence.prune(net, { fraction: 0.3 });
        expectEqual(report.pruned, 72, 'pruned (0.3 of 240)');
        expectEqual(report.newlyPruned, 72, 'newlyPruned');
        expectEqual(report.tensors.map((t) => t.name).join(','), '0.weight,2.weight', 'default tensors: linear weights only');
        const expected = expectedMasks(Object.values(weights), before, 72);
        const masks = await readMasks(net, names);
        names.forEach((name, i) => expectBits(masks[i], expected[i], `mask of ${name}`));
        const threshold = report.tensors[0].threshold!;
        expectEqual(report.tensors[1].threshold, threshold, 'one global threshold');
        names.forEach((name, i) =>
          Object.values(weights)[i].forEach((w, j) => {
            const pruned = masks[i][j] === 0;
            if (pruned ? Math.abs(w) > threshold : Math.abs(w) < threshold)
              throw new Error(`${name}[${j}] = ${w} against threshold ${threshold}`);
          }),
        );
        for (const name of names) await expectMaskedZero(net, name, 'after prune');
        const bias = await net.readMask('0.bias');
        expectEqual(zeros(bias), 0, 'biases are not pruned by default');
      });
    },
  },
  {
    name: 'per-layer pruning masks round-half-even(fraction * size) of each tensor; biases only when asked',
    async run(engine) {
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        const weights = await loadTiedWeights(net);
        // 3/128 of 192 is exactly 4.5 (rounds to 4, as Python's round) and of 48 is 1.125 (rounds to 1).
        const small = await emergence.prune(net, { fraction: 3 / 128, scope: 'layer' });
        expectEqual(small.tensors.map((t) => t.pruned).join(','), '4,1', 'half-even counts');
        const report = await emergence.prune(net, { fraction: 0.3, scope: 'layer' });
        // 0.3 of 192 = 57.6 -> 58 and 0.3 of 48 = 14.4 -> 14, counting the 4 and 1 already pruned.
        expectEqual(
          report.tensors.map((t) => `${t.name}:${t.pruned}:${t.newlyPruned}`).join(','),
          '0.weight:58:54,2.weight:14:13',
          'counts',
        );
        const values = Object.values(weights);
        const masks = await readMasks(net, Object.keys(weights));
        values.forEach((v, i) => {
          const kept = v.filter((_, j) => masks[i][j] !== 0).map(Math.abs);
          const pruned = v.filter((_, j) => masks[i][j] === 0).map(Math.abs);
          if (Math.max(...pruned) > Math.min(...kept)) throw new Error(`tensor ${i}: a pruned magnitude exceeds a kept one`);
          expectEqual(report.tensors[i].threshold, Math.max(...pruned), `threshold of tensor ${i}`);
        });
        const withBiases = await emergence.prune(net, { fraction: 0.5, scope: 'layer', layers: [2], includeBiases: true });
        expectEqual(withBiases.tensors.map((t) => `${t.name}:${t.pruned}`).join(','), '2.weight:24,2.bias:2', 'layer 2 with its bias');
        await expectMaskedZero(net, '2.bias', 'after pruning the bias');
      });
    },
  },
  {
    name: "repeated pruning: of 'all' reaches the fraction in total, of 'remaining' compounds as PyTorch's l1_unstructured",
    async run(engine) {
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        await loadTiedWeights(net);
        await emergence.prune(net, { fraction: 0.3 });
        const total = await emergence.prune(net, { fraction: 0.5 });
        expectEqual(`${total.pruned} ${total.newlyPruned}`, '120 48', "0.3 then 0.5 of 'all'");
        const lower = await emergence.prune(net, { fraction: 0.2 });
        expectEqual(`${lower.pruned} ${lower.newlyPruned}`, '120 0', 'a smaller fraction prunes nothing and unprunes nothing');
        expectEqual(lower.tensors[0].threshold, null, 'no threshold when nothing was pruned');
      });
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        await loadTiedWeights(net);
        await emergence.prune(net, { fraction: 0.3, of: 'remaining' });
        const compounded = await emergence.prune(net, { fraction: 0.5, of: 'remaining' });
        // 72, then round(0.5 * 168) = 84 more: 156 of 240 = 65%.
        expectEqual(`${compounded.pruned} ${compounded.newlyPruned}`, '156 84', "0.3 then 0.5 of 'remaining'");
        expectEqual(compounded.pruned / compounded.total, 0.65, 'fraction');
      });
    },
  },
  ...(
    [
      ['SGD with momentum and weight decay', { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-2 }],
      ['Adam with weight decay', { name: 'adam', lr: 1e-2, weightDecay: 1e-2 }],
      ['AdamW', { name: 'adamw', lr: 1e-2, weightDecay: 0.1 }],
    ] as [string, OptimizerOptions][]
  ).map(([label, optimizer]): TestCase => ({
    name: `pruned weights stay exactly zero through training with ${label}`,
    async run(engine) {
      const { x, labels } = toyBatch(FEATURES, 5);
      await withNet(engine, mlp(), options([FEATURES], optimizer), async (net) => {
        await train(net, x, labels, 2);
        const report = await emergence.prune(net, { fraction: 0.5, includeBiases: true });
        expectEqual(report.pruned, 130, 'half of 259 weights and biases, 129.5 rounded half to even');
        const kept = await net.readParameter('0.weight');
        await train(net, x, labels, 6);
        const after = await net.readParameter('0.weight');
        for (const name of ['0.weight', '0.bias', '2.weight', '2.bias']) await expectMaskedZero(net, name, 'after 6 steps');
        const mask = await net.readMask('0.weight');
        if (!after.some((w, i) => mask[i] !== 0 && w !== kept[i])) throw new Error('the unpruned weights did not train');
        const counts = await emergence.countParameters(net);
        expectEqual(`${counts.total} ${counts.unmasked}`, `259 ${259 - report.pruned}`, 'total and unmasked after training');
      });
    },
  })),
  {
    name: 'node pruning of a linear layer: the nodes output zero, their outgoing weights are masked, n_i shrinks',
    async run(engine) {
      const { x, labels } = toyBatch(FEATURES, 7);
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        const report = await emergence.pruneNodes(net, { layer: 0, nodes: [1, 5, 7] });
        expectEqual(
          `${report.pruned.join(',')} ${report.remaining} ${report.masked.join(',')}`,
          '1,5,7 13 0.weight,0.bias,2.weight',
          'report',
        );
        await train(net, x, labels, 4);
        const { layers } = await net.activations(x);
        for (const index of [0, 1]) {
          const out = await layers[index].output.read();
          for (let s = 0; s < BATCH; s++) {
            for (const c of [1, 5, 7])
              if (out[s * HIDDEN + c] !== 0) throw new Error(`layer ${index} node ${c} sample ${s}: ${out[s * HIDDEN + c]}`);
          }
        }
        const next = await net.readParameter('2.weight');
        for (let o = 0; o < CLASSES; o++) for (const c of [1, 5, 7]) expectEqual(next[o * HIDDEN + c], 0, `outgoing weight ${o},${c}`);
        const live = await emergence.nodeCounts(net);
        expectEqual(live.map((l) => `${l.weight}:${l.live}/${l.nodes}`).join(','), '0.weight:13/16,2.weight:3/3', 'node counts');
        // 'all': a quarter of 16 is 4 nodes in all, so one more goes: the live node of smallest incoming weight norm.
        const weight = await net.readParameter('0.weight');
        const norms = Array.from({ length: HIDDEN }, (_, c) => Math.hypot(...weight.subarray(c * FEATURES, (c + 1) * FEATURES)));
        const smallest = [...norms.keys()].filter((c) => ![1, 5, 7].includes(c)).sort((p, q) => norms[p] - norms[q])[0];
        const more = await emergence.pruneNodes(net, { layer: '0.weight', fraction: 0.25 });
        expectEqual(`${more.pruned.join(',')} ${more.remaining}`, `${smallest} 12`, 'fraction by weight norm');
        const counts = await emergence.countParameters(net);
        // 4 dead nodes: 4 * 12 incoming weights, 4 biases and 4 * 3 outgoing weights masked.
        expectEqual(counts.total - counts.unmasked, 4 * FEATURES + 4 + 4 * CLASSES, 'masked parameters');
        // emergence.measure leaves node-pruned nodes out of n_i by default, and keeps them as inactive with 'count'.
        const removed = await emergence.measure(net, x);
        const kept = await emergence.measure(net, x, { prunedNodes: 'count' });
        expectEqual(`${removed.layers[0].n} ${kept.layers[0].n}`, `${HIDDEN - 4} ${HIDDEN}`, 'n of the pruned layer');
        expectEqual(removed.layers[0].a, kept.layers[0].a, 'active nodes (pruned nodes output zero: never active)');
      });
    },
  },
  {
    name: 'node pruning of a conv channel by activation masks batch norm and the flattened inputs; it stays zero',
    async run(engine) {
      const { x, labels } = toyBatch(36, 9);
      await withNet(engine, cnn(), options([1, 6, 6]), async (net) => {
        await train(net, x, labels, 2);
        const report = await emergence.pruneNodes(net, { layer: 0, fraction: 0.5, by: 'activation', x });
        expectEqual(report.pruned.length, 2, 'half of 4 channels');
        expectEqual(report.masked.join(','), '0.weight,0.bias,1.weight,1.bias,5.weight', 'masked parameters');
        const scores = report.scores!;
        const kept = [0, 1, 2, 3].filter((c) => !report.pruned.includes(c));
        if (Math.max(...report.pruned.map((c) => scores[c])) > Math.min(...kept.map((c) => scores[c]))) {
          throw new Error(`pruned channels ${report.pruned.join(',')} do not have the lowest mean activations ${scores.join(',')}`);
        }
        await train(net, x, labels, 4);
        for (const mode of ['train', 'eval'] as const) {
          const { layers } = await net.activations(x, { mode });
          for (const index of [0, 1, 2, 3]) {
            const out = await layers[index].output.read();
            const positions = out.length / (BATCH * 4);
            for (let s = 0; s < BATCH; s++) {
              for (const c of report.pruned) {
                for (let p = 0; p < positions; p++) {
                  const v = out[(s * 4 + c) * positions + p];
                  if (v !== 0) throw new Error(`${mode} layer ${index} channel ${c}: ${v}`);
                }
              }
            }
          }
        }
        const linear = await net.readParameter('5.weight');
        for (let o = 0; o < CLASSES; o++) {
          for (const c of report.pruned)
            for (let p = 0; p < 9; p++) expectEqual(linear[o * 36 + c * 9 + p], 0, `linear input ${c * 9 + p}`);
        }
        expectEqual((await emergence.nodeCounts(net))[0].live, 2, 'live channels');
      });
    },
  },
  {
    name: 'countParameters counts trainable parameters: total, unmasked and nonzero, per tensor',
    async run(engine) {
      await withNet(engine, cnn(), options([1, 6, 6]), async (net) => {
        const before = await emergence.countParameters(net);
        // conv 36 + 4, batch norm 4 + 4 (running statistics are buffers), linear 108 + 3.
        expectEqual(
          before.tensors.map((t) => `${t.name}:${t.total}`).join(','),
          '0.weight:36,0.bias:4,1.weight:4,1.bias:4,5.weight:108,5.bias:3',
          'tensors',
        );
        expectEqual(`${before.total} ${before.unmasked}`, '159 159', 'before');
        await emergence.prune(net, { fraction: 0.25, scope: 'layer' });
        const after = await emergence.countParameters(net);
        expectEqual(`${after.total} ${after.unmasked}`, '159 123', 'after pruning 9 + 27 weights');
        if (after.nonzero > after.unmasked) throw new Error(`nonzero ${after.nonzero} exceeds unmasked ${after.unmasked}`);
        const batchNorm = await emergence.prune(net, { fraction: 0.5, layers: ['1.weight'] });
        expectEqual(batchNorm.tensors.map((t) => `${t.name}:${t.pruned}`).join(','), '1.weight:2', 'batch norm only when named');
      });
    },
  },
  {
    name: 'bad fractions, unknown layers, buffers and node indices are errors naming the op',
    async run(engine) {
      await withNet(engine, mlp(), options([FEATURES]), async (net) => {
        for (const fraction of [1.5, -0.1, Number.NaN]) {
          await expectRejects(emergence.prune(net, { fraction }), EngineError, [
            'prune: fraction must be a number in [0, 1]',
            String(fraction),
          ]);
        }
        await expectRejects(emergence.prune(net, { fraction: 0.5, layers: ['dense'] }), EngineError, [
          "prune: unknown layer 'dense'",
          'weight layers: 0, 2',
        ]);
        await expectRejects(emergence.prune(net, { fraction: 0.5, layers: [1] }), EngineError, ['layer 1 has no linear or conv weight']);
        await expectRejects(emergence.pruneNodes(net, { layer: 'fc', nodes: [0] }), EngineError, ["pruneNodes: unknown layer 'fc'"]);
        await expectRejects(emergence.pruneNodes(net, { layer: 0, nodes: [16] }), EngineError, [
          "node 16 is outside '0.weight' with 16 nodes",
        ]);
        await expectRejects(emergence.pruneNodes(net, { layer: 0, fraction: 2 }), EngineError, ['pruneNodes: fraction must be']);
        await expectRejects(emergence.pruneNodes(net, { layer: 0, fraction: 0.5, by: 'activation' }), EngineError, [
          'needs a probe batch x',
        ]);
        expectEqual((await emergence.countParameters(net)).unmasked, 259, 'failed calls prune nothing');
      });
      await withNet(engine, cnn(), options([1, 6, 6]), async (net) => {
        await expectRejects(emergence.prune(net, { fraction: 0.5, layers: ['1.running_mean'] }), EngineError, [
          "'1.running_mean' is a buffer",
        ]);
      });
    },
  },
];

export const emergencePruneGroup: TestGroup = { name: 'emergence prune', cases };
