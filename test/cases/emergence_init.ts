// emergence.init and layer-wise learning rates: exponent layouts, the alpha rule, invariances of the scaled init, seeds, blocks.
import {
  Dataset,
  EngineError,
  Random,
  assertClose,
  compileNet,
  emergence,
  kaimingUniform,
  nn,
  type CompileOptions,
  type Engine,
  type Net,
  type Sequential,
} from 'emergence-engine';
import { expectBits, expectEqual, expectRejects, expectThrows } from './expect.js';
import type { TestCase, TestGroup } from './types.js';

const BATCH = 16;
const FEATURES = 12;
const CLASSES = 3;

/** A ReLU MLP with `hidden.length` hidden layers (hidden.length + 1 weight layers). */
function mlp(hidden: number[]): Sequential {
  const layers = [];
  let width = FEATURES;
  for (const h of hidden) {
    layers.push(nn.linear(width, h), nn.relu());
    width = h;
  }
  layers.push(nn.linear(width, CLASSES));
  return nn.sequential(...layers);
}

/** conv → batch norm → relu → conv → batch norm → relu → flatten → linear on 1x6x6 images (weights '0', '3', '7'). */
function cnn(): Sequential {
  return nn.sequential(
    nn.conv2d(1, 4, 3, { padding: 1 }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.conv2d(4, 4, 3, { padding: 1 }),
    nn.batchNorm2d(4),
    nn.relu(),
    nn.flatten(),
    nn.linear(4 * 6 * 6, CLASSES),
  );
}

const options = (inputShape: number[], extra: Partial<CompileOptions> = {}): CompileOptions => ({
  inputShape,
  batchSize: BATCH,
  loss: 'cross-entropy',
  optimizer: { name: 'adam', lr: 1e-3 },
  lossBlock: 4,
  ...extra,
});

async function withNet(engine: Engine, model: Sequential, compile: CompileOptions, fn: (net: Net) => Promise<void>): Promise<void> {
  const net = await compileNet(engine, model, compile);
  try {
    await fn(net);
  } finally {
    await net.dispose();
  }
}

/** Inputs in [0, 1) (so that first-layer activity depends on the weights, as with image pixels) and cyclic labels. */
function batch(count: number, features: number, seed: number): { x: Float32Array; labels: Int32Array } {
  return { x: new Random(seed).uniformArray(count * features, 0, 1), labels: Int32Array.from({ length: count }, (_, i) => i % CLASSES) };
}

function expectArray<T extends number | string>(actual: readonly T[], expected: readonly T[], what: string): void {
  if (actual.length !== expected.length || actual.some((v, i) => !Object.is(v, expected[i]))) {
    throw new Error(`${what}: got [${actual.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

/** The largest |value| of an array, for tolerances relative to an array's scale. */
function maxAbs(values: Float32Array): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

const layoutCases: TestCase[] = [
  {
    name: 'symmetric exponents for 3, 4 and 5 layers, with a pivot and a cap',
    async run() {
      expectArray(emergence.emergenceExponents(1), [0], '1 layer');
      expectArray(emergence.emergenceExponents(3), [-1, 0, 1], '3 layers');
      expectArray(emergence.emergenceExponents(4), [-2, -1, 1, 2], '4 layers (no zero)');
      expectArray(emergence.emergenceExponents(5), [-2, -1, 0, 1, 2], '5 layers');
      expectArray(emergence.emergenceExponents(4, { pivot: 1 }), [-1, 0, 1, 2], '4 layers, pivot 1');
      expectArray(emergence.emergenceExponents(5, { pivot: 3 }), [-3, -2, -1, 0, 1], '5 layers, pivot 3');
      expectArray(emergence.emergenceExponents(5, { cap: 1 }), [-1, -1, 0, 1, 1], '5 layers, cap 1');
      expectArray(emergence.emergenceExponents(4, { cap: 1 }), [-1, -1, 1, 1], '4 layers, cap 1');
      expectArray(emergence.emergenceExponents(5, { pivot: 0, cap: 2 }), [0, 1, 2, 2, 2], '5 layers, pivot 0, cap 2');
      expectArray(emergence.emergenceExponents(3, { cap: 0 }), [0, 0, 0], 'cap 0');
      expectThrows(() => emergence.emergenceExponents(4, { pivot: 4 }), EngineError, ['pivot', '[0, 4)']);
      expectThrows(() => emergence.emergenceExponents(0), EngineError, ['layer count']);
      expectThrows(() => emergence.emergenceExponents(3, { cap: -1 }), EngineError, ['cap']);
    },
  },
  {
    name: 'learning-rate rule: alpha = 2 * (1e-3 / lr)^(1/N) gives 6.32 for a two-layer block at 1e-4',
    async run() {
      const alpha = emergence.alphaForLearningRate(1e-4, 2);
      expectEqual(alpha.toFixed(2), '6.32', 'alpha at lr 1e-4, N = 2');
      assertClose([alpha], [2 * Math.sqrt(10)], { atol: 0, rtol: 1e-15 }, 'alpha = 2 sqrt(10)');
      expectEqual(emergence.alphaForLearningRate(1e-3, 5), 2, 'alpha at the reference rate');
      expectEqual(emergence.alphaForLearningRate(1e-2, 1, { alpha0: 5, lr0: 1e-2 }), 5, 'alpha0 at lr0');
      assertClose([emergence.alphaForLearningRate(1e-5, 4)], [2 * Math.pow(100, 1 / 4)], { atol: 0, rtol: 1e-15 }, 'N = 4');
      expectThrows(() => emergence.alphaForLearningRate(0, 2), EngineError, ['lr must be a positive']);
    },
  },
];

const netCases: TestCase[] = [
  {
    name: 'alpha 1 redraws exactly the weights compile draws for the same seed and base; biases zero, batch norm untouched',
    async run(engine) {
      const bases = [
        { init: { name: 'kaiming-normal' as const }, emergence: { base: 'kaiming' as const } },
        { init: { name: 'kaiming-uniform' as const }, emergence: { base: 'kaiming' as const, distribution: 'uniform' as const } },
        { init: { name: 'xavier-normal' as const, gain: 1.5 }, emergence: { base: 'xavier' as const, gain: 1.5 } },
      ];
      for (const base of bases) {
        await withNet(engine, cnn(), options([1, 6, 6], { init: base.init, seed: 11 }), async (compiled) => {
          await withNet(engine, cnn(), options([1, 6, 6], { seed: 3 }), async (net) => {
            const before = await net.stateDict();
            await net.loadStateDict({ '1.weight': new Float32Array([0.5, 1.5, 2, 3]), '4.running_var': new Float32Array([2, 2, 2, 2]) });
            const report = await emergence.init(net, { ...base.emergence, alpha: 1, seed: 11 });
            const expected = await compiled.stateDict();
            const after = await net.stateDict();
            for (const name of ['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias']) {
              expectBits(after[name], expected[name], `${base.init.name}: ${name}`);
            }
            expectBits(after['1.weight'], new Float32Array([0.5, 1.5, 2, 3]), 'batch norm weight kept');
            expectBits(after['4.running_var'], new Float32Array([2, 2, 2, 2]), 'running variance kept');
            expectBits(after['1.bias'], before['1.bias'], 'batch norm bias kept');
            expectArray(
              report.layers.map((l) => l.factor),
              [1, 1, 1],
              'factors at alpha 1',
            );
          });
        });
      }
    },
  },
  {
    name: 'weights are the host-drawn base times alpha^k, bit for bit on every backend; the report matches',
    async run(engine) {
      await withNet(engine, mlp([10, 9, 8, 7]), options([FEATURES]), async (net) => {
        const report = await emergence.init(net, { alpha: 3, seed: 42, distribution: 'uniform' });
        const rng = new Random(42);
        const shapes = [
          [10, 12],
          [9, 10],
          [8, 9],
          [7, 8],
          [3, 7],
        ];
        const exponents = [-2, -1, 0, 1, 2];
        const state = await net.stateDict();
        shapes.forEach((shape, l) => {
          const expected = kaimingUniform(shape, rng, { mode: 'fan_in', nonlinearity: 'relu' });
          const factor = Math.pow(3, exponents[l]);
          for (let i = 0; i < expected.length; i++) expected[i] *= factor;
          const name = `${2 * l}.weight`;
          expectBits(state[name], expected, name);
          expectBits(state[`${2 * l}.bias`], new Float32Array(shape[0]), `${2 * l}.bias`);
          const layer = report.layers[l];
          expectEqual(layer.name, name, `report layer ${l} name`);
          expectEqual(layer.exponent, exponents[l], `${name} exponent`);
          expectEqual(layer.factor, factor, `${name} factor`);
          expectEqual(layer.fanIn, shape[1], `${name} fanIn`);
          assertClose(
            [layer.std, layer.bound!],
            [factor * Math.sqrt(2 / shape[1]), factor * Math.sqrt(6 / shape[1])],
            { atol: 0, rtol: 1e-12 },
            `${name} std, bound`,
          );
          const largest = maxAbs(state[name]);
          if (largest > layer.bound! * (1 + 1e-6)) throw new Error(`${name}: |w| reaches ${largest}, past the bound ${layer.bound}`);
        });
        expectEqual(report.alpha, 3, 'report alpha');
        expectEqual(report.pivot, 'middle', 'report pivot');
        expectEqual(report.seed, 42, 'report seed');
        expectEqual(report.optimizer.includes('no step taken'), true, 'optimizer note before any step');
      });
    },
  },
  {
    name: 'zero-bias ReLU MLP: the output is unchanged, hidden activations and active counts scale, E changes',
    async run(engine) {
      await withNet(engine, mlp([24, 24, 24]), options([FEATURES]), async (net) => {
        const { x } = batch(64, FEATURES, 5);
        await emergence.init(net, { alpha: 1, seed: 9 });
        const baseOutput = await net.predict(x);
        const baseActivations = await net.activations(x);
        const baseHidden = await Promise.all([1, 3, 5].map((i) => baseActivations.layers[i].output.read() as Promise<Float32Array>));
        const baseMeasure = await emergence.measure(net, x);

        // alpha 2: the factors are powers of two, so every product and sum scales exactly and the output keeps its bits.
        await emergence.init(net, { alpha: 2, seed: 9 });
        expectBits(await net.predict(x), baseOutput, 'output after alpha 2');
        const scaled = await net.activations(x);
        const cumulative = [2 ** -2, 2 ** -3, 2 ** -2]; // exponents -2, -1, 1, 2: running products over the hidden layers
        for (const [j, index] of [1, 3, 5].entries()) {
          const hidden = (await scaled.layers[index].output.read()) as Float32Array;
          expectBits(
            hidden,
            baseHidden[j].map((v) => v * cumulative[j]),
            `hidden layer ${index} = base x ${cumulative[j]}`,
          );
        }
        const measured = await emergence.measure(net, x);
        // Each node's mean scales with its layer, so the active counts follow from the base statistics.
        measured.layers.forEach((layer, j) => {
          const expected = baseMeasure.layers[j].statistic.reduce((a, s) => a + (s * cumulative[j] > Math.fround(0.05) ? 1 : 0), 0);
          expectEqual(layer.a, expected, `active nodes of hidden layer ${layer.name}`);
        });
        if (measured.E === baseMeasure.E) throw new Error(`E over the hidden layers stayed ${baseMeasure.E} after the scaled init`);

        // alpha 3: inexact factors; the output agrees within float32 rounding of a 4-layer forward pass.
        await emergence.init(net, { alpha: 3, seed: 9 });
        const output = await net.predict(x);
        assertClose(output, baseOutput, { atol: 1e-6 * maxAbs(baseOutput), rtol: 1e-5 }, 'output after alpha 3');
      });
    },
  },
  {
    name: 'batch norm after a layer cancels its scale in train mode, not in eval mode with fresh running statistics; its gradient scales by 1/c',
    async run(engine) {
      await withNet(engine, cnn(), options([1, 6, 6]), async (net) => {
        const { x, labels } = batch(BATCH, 36, 8);
        const lastOutput = async (mode: 'train' | 'eval'): Promise<Float32Array> => {
          const activations = await net.activations(x, { mode });
          return (await activations.layers[activations.layers.length - 1].output.read()) as Float32Array;
        };
        await emergence.init(net, { alpha: 1, seed: 4 });
        const baseTrain = await lastOutput('train');
        const baseEval = await lastOutput('eval');
        const baseGrads = (await net.lossAndGradients(x, labels)).grads;
        const expectGradients = async (factors: readonly [string, number][]): Promise<void> => {
          // L(cW) = L(W) in train mode, so dL/dW at cW is the base gradient / c.
          const grads = (await net.lossAndGradients(x, labels)).grads;
          for (const [name, c] of factors) {
            const expected = baseGrads[name].map((g) => g / c);
            assertClose(grads[name], expected, { atol: 2e-3 * maxAbs(expected), rtol: 2e-3 }, `${name} gradient / ${c}`);
          }
        };

        // Only conv '3' (followed by batch norm) is scaled, by 2: block ['0', '3'] with pivot 0 gives exponents 0, 1.
        const single = await emergence.init(net, { alpha: 2, seed: 4, blocks: [['0', '3']], pivot: 0 });
        expectArray(
          single.layers.map((l) => l.factor),
          [1, 2, 1],
          'factors of 0, 3, 7 with pivot 0',
        );
        // Batch statistics see 2z: (2z - 2mu) / sqrt(4 var + eps) differs from the base only through eps = 1e-5.
        const train = await lastOutput('train');
        assertClose(train, baseTrain, { atol: 2e-4 * maxAbs(baseTrain), rtol: 1e-3 }, 'train-mode output, conv 3 x 2');
        // Fresh running statistics (mean 0, variance 1) make batch norm a fixed map z / sqrt(1 + eps) that keeps the
        // scale: through ReLU and the zero-bias linear layer the eval output doubles.
        const evalOutput = await lastOutput('eval');
        assertClose(
          evalOutput,
          baseEval.map((v) => 2 * v),
          { atol: 1e-6 * maxAbs(baseEval), rtol: 1e-5 },
          'eval output, conv 3 x 2',
        );
        await expectGradients([
          ['0.weight', 1],
          ['3.weight', 2],
        ]);

        // Both convs as a block: factors 1/2 and 2. Train mode cancels each; in eval mode (fresh statistics) the
        // factors multiply to one through the homogeneous chain, as in a net without batch norm.
        const both = await emergence.init(net, { alpha: 2, seed: 4, blocks: [['0', '3']] });
        expectArray(
          both.layers.map((l) => l.factor),
          [0.5, 2, 1],
          'factors of 0, 3, 7',
        );
        assertClose(await lastOutput('train'), baseTrain, { atol: 2e-4 * maxAbs(baseTrain), rtol: 1e-3 }, 'train-mode output, block');
        assertClose(await lastOutput('eval'), baseEval, { atol: 1e-6 * maxAbs(baseEval), rtol: 1e-5 }, 'eval output, block');
        await expectGradients([
          ['0.weight', 0.5],
          ['3.weight', 2],
        ]);
      });
    },
  },
  {
    name: 'block-wise application: each block its own schedule, layers in no block factor 1; indices or prefixes',
    async run(engine) {
      await withNet(engine, mlp([10, 9, 8, 7]), options([FEATURES]), async (net) => {
        const report = await emergence.init(net, {
          alpha: 2,
          seed: 1,
          blocks: [
            [0, 1],
            ['6', '8.weight'],
          ],
        });
        expectArray(
          report.layers.map((l) => l.exponent),
          [-1, 1, 0, -1, 1],
          'exponents',
        );
        expectArray(
          report.layers.map((l) => (l.block === null ? -1 : l.block)),
          [0, 0, -1, 1, 1],
          'blocks',
        );
        expectArray(
          report.blocks.map((b) => b.layers.length),
          [2, 2],
          'block sizes',
        );
        const plain = await compileNet(engine, mlp([10, 9, 8, 7]), options([FEATURES], { init: { name: 'kaiming-normal' }, seed: 1 }));
        try {
          const base = await plain.stateDict();
          const state = await net.stateDict();
          report.layers.forEach((l) =>
            expectBits(
              state[l.name],
              base[l.name].map((v) => v * l.factor),
              `${l.name} x ${l.factor}`,
            ),
          );
        } finally {
          await plain.dispose();
        }
        // The rule with blocks of different lengths gives each its own alpha.
        const ruled = await emergence.init(net, {
          lr: 1e-4,
          blocks: [
            [0, 1],
            [2, 3, 4],
          ],
        });
        assertClose(ruled.alpha as number[], [2 * 10 ** (1 / 2), 2 * 10 ** (1 / 3)], { atol: 0, rtol: 1e-12 }, 'alpha per block');
        const twoLayer = await emergence.init(net, { lr: 1e-4, blocks: [[3, 4]] });
        expectEqual((twoLayer.alpha as number).toFixed(2), '6.32', 'two-layer block at 1e-4');
        expectEqual(emergence.weightLayers(net).length, 5, 'weight layers');
      });
    },
  },
  {
    name: "pivot 'balance' uses the balance layer of the counts at the base initialization",
    async run(engine) {
      await withNet(engine, mlp([16, 16, 16, 16]), options([FEATURES]), async (net) => {
        const { x } = batch(64, FEATURES, 2);
        await emergence.init(net, { alpha: 1, seed: 6 });
        const base = await emergence.measure(net, x);
        const balance = emergence.balanceLayer(
          base.layers.map((l) => l.n),
          base.layers.map((l) => l.a),
        );
        const report = await emergence.init(net, { alpha: 2, seed: 6, pivot: 'balance', probe: x });
        expectEqual(report.blocks[0].pivot, balance.index, 'pivot');
        expectArray(
          report.layers.map((l) => l.exponent),
          [0, 1, 2, 3, 4].map((l) => l - balance.index),
          'exponents k = l - balance',
        );
        expectArray(
          report.balanceCounts!.map((c) => c.a),
          base.layers.map((l) => l.a),
          'active counts at the base init',
        );
      });
    },
  },
  {
    name: 'bad options are errors naming the option',
    async run(engine) {
      await withNet(engine, mlp([8]), options([FEATURES]), async (net) => {
        await expectRejects(emergence.init(net, { alpha: 2, lr: 1e-3 }), EngineError, ['alpha or lr']);
        await expectRejects(emergence.init(net, { pivot: 'balance' }), EngineError, ["'balance' needs probe"]);
        await expectRejects(emergence.init(net, { alpha: -1 }), EngineError, ['alpha must be']);
        await expectRejects(emergence.init(net, { blocks: [[0], [0]] }), EngineError, ["'0.weight' is in blocks[0] and blocks[1]"]);
        await expectRejects(emergence.init(net, { blocks: [['5']] }), EngineError, ['member "5"', "0 ('0')"]);
        await expectRejects(emergence.init(net, { pivot: 3 }), EngineError, ['pivot 3 is past the end']);
        await expectRejects(emergence.init(net, { base: 'he' as 'kaiming' }), EngineError, ["base must be 'kaiming' or 'xavier'"]);
        await expectRejects(emergence.init(net, { sed: 1 } as object), EngineError, ["unknown option 'sed'"]);
        const { x, labels } = batch(BATCH, FEATURES, 3);
        await net.trainStep(x, labels);
        const report = await emergence.init(net, { alpha: 2 });
        expectEqual(report.optimizer.includes('kept from 1 earlier steps'), true, `optimizer note after a step: ${report.optimizer}`);
      });
    },
  },
];

const rateCases: TestCase[] = [
  {
    name: 'layer-wise rates average to the base lr and order inversely with the measured gradient norms',
    async run(engine) {
      const lr = 1e-3;
      await withNet(engine, mlp([20, 16, 12]), options([FEATURES]), async (net) => {
        await emergence.init(net, { alpha: 2, seed: 3 });
        const batches = [1, 2, 3].map((seed) => {
          const { x, labels } = batch(BATCH, FEATURES, seed);
          return { x, targets: labels };
        });
        const rates = await emergence.layerLearningRates(net, batches, { lr });
        expectEqual(rates.layers.length, 4, 'one rate per weight layer');
        const mean = rates.layers.reduce((s, l) => s + l.lr, 0) / rates.layers.length;
        assertClose([mean], [lr], { atol: 0, rtol: 1e-12 }, 'mean rate');
        // The norms are those of lossAndGradients, averaged here independently.
        const squared = new Float64Array(4);
        for (const b of batches) {
          const { grads } = await net.lossAndGradients(b.x, b.targets);
          ['0.weight', '2.weight', '4.weight', '6.weight'].forEach((name, i) => {
            squared[i] += grads[name].reduce((s, g) => s + g * g, 0) / batches.length;
          });
        }
        assertClose(
          rates.layers.map((l) => l.meanSquaredNorm),
          Array.from(squared),
          { atol: 0, rtol: 1e-6 },
          'mean squared norms',
        );
        const products = rates.layers.map((l) => l.lr * l.rmsNorm);
        assertClose(
          products,
          products.map(() => products[0]),
          { atol: 0, rtol: 1e-12 },
          'lr x norm is constant',
        );
        const byNorm = [...rates.layers].sort((p, q) => p.rmsNorm - q.rmsNorm);
        for (let i = 1; i < byNorm.length; i++) {
          if (!(byNorm[i].lr < byNorm[i - 1].lr))
            throw new Error(`a larger gradient norm must get a smaller rate: ${JSON.stringify(byNorm)}`);
        }
        expectArray(
          rates.groups.map((g) => (g.params as string[]).join('+')),
          ['0.weight+0.bias', '2.weight+2.bias', '4.weight+4.bias', '6.weight+6.bias'],
          'groups',
        );

        // A Dataset gives the same rates from its first batches.
        const inputs = new Float32Array(batches.length * BATCH * FEATURES);
        const labels = new Int32Array(batches.length * BATCH);
        batches.forEach((b, i) => {
          inputs.set(b.x, i * BATCH * FEATURES);
          labels.set(b.targets, i * BATCH);
        });
        const dataset = new Dataset('mnist', 'train', inputs, labels, [FEATURES], ['a', 'b', 'c'], [], 'none', { mean: [0], std: [1] });
        const fromDataset = await emergence.layerLearningRates(net, dataset, { lr, batches: 3 });
        assertClose(
          fromDataset.layers.map((l) => l.lr),
          rates.layers.map((l) => l.lr),
          { atol: 0, rtol: 1e-12 },
          'rates from a Dataset',
        );

        // Compiled with the groups, the net trains each layer at its rate; apply sets them on a net with one group per layer.
        const grouped = await compileNet(
          engine,
          mlp([20, 16, 12]),
          options([FEATURES], { optimizer: { name: 'sgd', lr, groups: rates.groups } }),
        );
        const uniform = rates.groups.map((g) => ({ params: g.params, lr: 0.5 }));
        const applied = await compileNet(
          engine,
          mlp([20, 16, 12]),
          options([FEATURES], { optimizer: { name: 'adam', lr, groups: uniform } }),
        );
        try {
          assertClose(
            grouped.optimizerGroups.slice(0, 4).map((g) => g.lr),
            rates.layers.map((l) => l.lr),
            { atol: 0, rtol: 0 },
            'compiled group rates',
          );
          emergence.applyLayerLearningRates(applied, rates);
          assertClose(
            applied.optimizerGroups.slice(0, 4).map((g) => g.lr),
            rates.layers.map((l) => l.lr),
            { atol: 0, rtol: 0 },
            'applied group rates',
          );
          expectThrows(() => emergence.applyLayerLearningRates(net, rates), EngineError, [
            "the optimizer group of '0.weight'",
            "'2.weight'",
          ]);
        } finally {
          await grouped.dispose();
          await applied.dispose();
        }
      });
    },
  },
];

export const emergenceInitGroup: TestGroup = { name: 'emergence init', cases: [...layoutCases, ...netCases, ...rateCases] };
